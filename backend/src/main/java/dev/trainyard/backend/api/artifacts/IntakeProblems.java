package dev.trainyard.backend.api.artifacts;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.intake.Intake;
import java.util.ArrayList;
import java.util.List;

/** How refused intakes (dataset registrations, checkpoint imports) are answered. */
final class IntakeProblems {
  private IntakeProblems() {}

  /** 422 with every listed problem at its path, and how many more were not listed. */
  static ApiProblem invalid(Intake.Rejected e) {
    List<FieldError> errors = new ArrayList<>();
    for (Intake.Issue issue : e.issues()) {
      errors.add(new FieldError(issue.path(), issue.message()));
    }
    if (e.count() > e.issues().size()) {
      errors.add(
          new FieldError(
              "$", "and " + (e.count() - e.issues().size()) + " more bad records not listed"));
    }
    return ApiProblem.invalid(errors);
  }

  static ApiProblem tooLarge(Intake.TooLarge e) {
    return new ApiProblem(
        413, "Payload Too Large", e.getMessage(), List.of(new FieldError("body", e.getMessage())));
  }
}
