package dev.trainyard.backend.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which token file a start of local mode keeps (the restart itself: e2e-local-restart.sh). */
class LocalTokenFileTest {
  @TempDir Path home;

  @Test
  void aTokenWrittenOwnerOnlyIsKeptForTheNextStart() throws Exception {
    Path file = home.resolve("local-token");
    String token = LocalToken.random();
    LocalToken.write(file, token);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(LocalToken.kept(file)).contains(token);
  }

  @Test
  void aFileOthersCanReadOrThatWasEditedIsNotKept() throws Exception {
    Path file = home.resolve("local-token");
    LocalToken.write(file, LocalToken.random());
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(LocalToken.kept(file)).isEmpty();

    LocalToken.write(file, "guessable");
    assertThat(LocalToken.kept(file)).isEmpty();
    assertThat(LocalToken.kept(home.resolve("absent"))).isEmpty();
  }

  @Test
  void aSymlinkIsNotFollowed() throws Exception {
    Path target = home.resolve("elsewhere");
    LocalToken.write(target, LocalToken.random());
    Path link = Files.createSymbolicLink(home.resolve("local-token"), target);
    assertThat(LocalToken.kept(link)).isEmpty();
  }
}
