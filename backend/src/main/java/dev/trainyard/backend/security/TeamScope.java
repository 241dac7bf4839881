package dev.trainyard.backend.security;

import dev.trainyard.backend.api.ApiProblem;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import java.util.Set;

/**
 * Team scoping of rows: users see and act only within their teams (admins within all). A row of
 * another team answers 404, as if it did not exist, so ids do not leak across teams.
 */
@RequestScoped
public class TeamScope {
  @Inject CallerContext callers;

  public Caller caller() {
    return callers.caller();
  }

  /** Throws 404 unless the caller may see rows of {@code team}. */
  public void require(String team, String notFoundMessage) {
    if (!callers.caller().sees(team)) {
      throw ApiProblem.notFound(notFoundMessage);
    }
  }

  /** The teams to filter listings by, or null for all (admins). */
  public Set<String> visibleTeams() {
    Caller caller = callers.caller();
    return caller.isAdmin() ? null : caller.teams();
  }

  /**
   * The team a new row belongs to: the one asked for (if the caller is in it) or the caller's
   * default.
   */
  public String teamForNew(String requested) {
    Caller caller = callers.caller();
    if (requested == null || requested.isBlank()) {
      return caller.defaultTeam();
    }
    if (!caller.sees(requested)) {
      throw new ApiProblem(
          403,
          "Forbidden",
          caller.name() + " is not in team '" + requested + "'",
          java.util.List.of());
    }
    return requested;
  }
}
