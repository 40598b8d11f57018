package dev.anvil.modelcard;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One format for how a model pools and prompts: what the trainer writes beside a model is what the
 * context engine (and sentence-transformers) read back, and the packaged models' configurations
 * live in one place.
 */
class EncoderConfigFilesTest {
  @TempDir Path dir;

  @Test
  void whatIsWrittenReadsBackTheSame() throws Exception {
    EncoderConfig bgeLike = new EncoderConfig(Pooling.CLS, new Prompts("Represent: ", ""));
    bgeLike.write(dir.resolve("a"), 384);
    assertThat(EncoderConfig.directory(dir.resolve("a"))).isEqualTo(bgeLike);

    EncoderConfig e5Like = new EncoderConfig(Pooling.MEAN, new Prompts("query: ", "passage: "));
    e5Like.write(dir.resolve("b"), 384);
    assertThat(EncoderConfig.directory(dir.resolve("b"))).isEqualTo(e5Like);

    EncoderConfig.DEFAULT.write(dir.resolve("c"), 384);
    assertThat(EncoderConfig.directory(dir.resolve("c"))).isEqualTo(EncoderConfig.DEFAULT);
    assertThat(dir.resolve("c").resolve(EncoderConfig.PROMPTS_FILE)).doesNotExist();
  }

  @Test
  void thePackagedModelsPoolAndPromptAsTheirAuthorsSay() {
    assertThat(EncoderConfig.packaged("all-minilm-l6-v2")).isEqualTo(EncoderConfig.DEFAULT);
    assertThat(EncoderConfig.packaged("bge-small-en-v1.5"))
        .isEqualTo(
            new EncoderConfig(
                Pooling.CLS,
                new Prompts("Represent this sentence for searching relevant passages: ", "")));
  }
}
