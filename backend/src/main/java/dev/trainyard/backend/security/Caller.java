package dev.trainyard.backend.security;

import java.util.Set;
import java.util.TreeSet;

/**
 * The authenticated caller: name, realm roles and teams (Keycloak groups). Admins see every team.
 */
public record Caller(String name, Set<String> roles, Set<String> teams) {
  public static final String VIEWER = "viewer";
  public static final String OPERATOR = "operator";
  public static final String ADMIN = "admin";
  public static final String WORKER = "worker";

  public Caller {
    roles = Set.copyOf(roles);
    teams = Set.copyOf(teams);
  }

  public boolean isAdmin() {
    return roles.contains(ADMIN);
  }

  public boolean has(String role) {
    return roles.contains(role);
  }

  public boolean sees(String team) {
    return isAdmin() || teams.contains(team);
  }

  /**
   * The team new things belong to when the caller names none: the first of theirs, alphabetically.
   */
  public String defaultTeam() {
    return teams.isEmpty() ? "default" : new TreeSet<>(teams).first();
  }
}
