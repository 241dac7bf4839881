package dev.trainyard.pipeline.spec;

/** One {@code ${{ ... }}} expression of the spec language. */
public sealed interface Expression {
  /** {@code ${{ params.NAME }}} */
  record ParamRef(String name) implements Expression {}

  /** {@code ${{ matrix.KEY }}}: the value of this expansion of a matrix step */
  record MatrixRef(String key) implements Expression {}

  /**
   * {@code ${{ steps.STEP.outputs.OUTPUT }}}: an artifact produced by an earlier step; with {@code
   * [*]} ({@code all}) the list of that output of every expansion of a step that fans out.
   */
  record StepOutputRef(String step, String output, boolean all) implements Expression {
    public StepOutputRef(String step, String output) {
      this(step, output, false);
    }
  }

  /** {@code ${{ inputs }}}: the command step's own {@code inputs:} as space-separated tokens */
  record InputsRef() implements Expression {}

  /** Anything else; reported as a problem. */
  record Unknown(String text) implements Expression {}
}
