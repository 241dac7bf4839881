package dev.trainyard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void theBarShowsTheShareDoneAndItsLabel() {
    assertThat(Progress.bar(3, 4, "3/4 steps"))
        .isEqualTo("[######################........]  75% 3/4 steps");
    assertThat(Progress.bar(5, 0, "hello.txt"))
        .isEqualTo("[..............................] hello.txt");
  }

  @Test
  void nothingIsDrawnWhenTheTerminalIsNotInteractive() {
    StringWriter err = new StringWriter();
    Progress off = new Progress(new PrintWriter(err), false);
    off.update(1, 2, "x");
    off.clear();
    assertThat(err.toString()).isEmpty();
    Progress on = new Progress(new PrintWriter(err), true);
    on.update(2, 2, "done");
    on.clear();
    assertThat(err.toString())
        .isEqualTo("\r[##############################] 100% done\033[K\r\033[K");
  }
}
