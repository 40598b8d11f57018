package dev.anvil.modelcard;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GateVerdictTest {
  @TempDir Path dir;

  @Test
  void aVerdictHoldsForExactlyTheCandidateAndServingBytesItWasMadeFor() throws Exception {
    Files.write(dir.resolve("model.onnx"), new byte[] {1, 2, 3});
    String digest = GateVerdict.digest(dir);
    assertThat(digest)
        .isEqualTo("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81");
    GateVerdict v = new GateVerdict("gate-1", "m", digest, "ab", "olivia", Instant.EPOCH, "v1");
    v.record(dir);
    Files.writeString(
        dir.resolve(GateVerdict.FILE),
        "not json\n{\"candidate\": 3}\n",
        java.nio.file.StandardOpenOption.APPEND);

    assertThat(GateVerdict.find(dir, digest, "ab")).contains(v);
    assertThat(GateVerdict.find(dir, digest, "cd")).isEmpty();
    assertThat(GateVerdict.find(dir, "ef", "ab")).isEmpty();
    // The model's bytes changed after the verdict: it no longer holds.
    Files.write(dir.resolve("model.onnx"), new byte[] {1, 2, 4});
    assertThat(GateVerdict.find(dir, GateVerdict.digest(dir), "ab")).isEmpty();
    assertThat(GateVerdict.find(dir.resolve("elsewhere"), digest, "ab")).isEmpty();
  }
}
