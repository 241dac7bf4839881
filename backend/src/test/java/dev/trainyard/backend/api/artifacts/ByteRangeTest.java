package dev.trainyard.backend.api.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** RFC 9110 section 14 as the downloads read it: one range, or the whole file. */
class ByteRangeTest {
  private static ByteRange.Request of(String header) {
    return ByteRange.parse(header, 1000);
  }

  @Test
  void theThreeFormsOfOneRangeSelectTheirBytes() {
    assertThat(of("bytes=0-99")).isEqualTo(new ByteRange.Part(new ByteRange(0, 99)));
    assertThat(of("bytes=990-")).isEqualTo(new ByteRange.Part(new ByteRange(990, 999)));
    assertThat(of("bytes=-10")).isEqualTo(new ByteRange.Part(new ByteRange(990, 999)));
    assertThat(of("bytes=-5000")).isEqualTo(new ByteRange.Part(new ByteRange(0, 999)));
    assertThat(of("bytes=900-5000")).isEqualTo(new ByteRange.Part(new ByteRange(900, 999)));
  }

  @Test
  void aRangeStartingPastTheEndOrAnEmptySuffixIsUnsatisfiable() {
    assertThat(of("bytes=1000-")).isInstanceOf(ByteRange.Unsatisfiable.class);
    assertThat(of("bytes=1000-2000")).isInstanceOf(ByteRange.Unsatisfiable.class);
    assertThat(of("bytes=-0")).isInstanceOf(ByteRange.Unsatisfiable.class);
    assertThat(ByteRange.parse("bytes=-1", 0)).isInstanceOf(ByteRange.Unsatisfiable.class);
  }

  @Test
  void severalRangesAndMalformedHeadersAreIgnoredAndTheWholeFileIsSent() {
    for (String header :
        new String[] {
          null,
          "bytes=0-1,5-6",
          "bytes=9-3",
          "items=0-1",
          "bytes=-",
          "bytes=a-b",
          "bytes=99999999999999999999-"
        }) {
      assertThat(of(header)).as(String.valueOf(header)).isInstanceOf(ByteRange.Whole.class);
    }
  }
}
