package dev.anvil.context.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.ContextException;
import dev.anvil.modelcard.EncoderConfig;
import dev.anvil.modelcard.Pooling;
import dev.anvil.modelcard.Prompts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pooling and prompts read from a model's sentence-transformers files. */
class EncoderConfigTest {
  @TempDir Path dir;

  private void write(String file, String json) throws IOException {
    Path p = dir.resolve(file);
    Files.createDirectories(p.getParent());
    Files.writeString(p, json);
  }

  private static String pooling(boolean cls, boolean mean) {
    return "{\"word_embedding_dimension\": 384, \"pooling_mode_cls_token\": "
        + cls
        + ", \"pooling_mode_mean_tokens\": "
        + mean
        + ", \"pooling_mode_max_tokens\": false}";
  }

  @Test
  void aDirectoryWithoutTheFilesKeepsMeanPoolingAndNoPrefixes() {
    assertThat(ModelSource.directory(dir).config()).isEqualTo(EncoderConfig.DEFAULT);
    assertThat(EncoderConfig.DEFAULT)
        .isEqualTo(new EncoderConfig(Pooling.MEAN, new Prompts("", "")));
  }

  @Test
  void readsClsPoolingAndTheQueryPrompt() throws IOException {
    write("1_Pooling/config.json", pooling(true, false));
    write(
        "config_sentence_transformers.json",
        "{\"prompts\": {\"query\": \"Represent: \", \"document\": \"\"},"
            + " \"default_prompt_name\": null}");
    assertThat(ModelSource.directory(dir).config())
        .isEqualTo(new EncoderConfig(Pooling.CLS, new Prompts("Represent: ", "")));
  }

  @Test
  void aPassagePromptIsTheDocumentPrefix() throws IOException {
    write("1_Pooling/config.json", pooling(false, true));
    write(
        "config_sentence_transformers.json",
        "{\"prompts\": {\"query\": \"query: \", \"passage\": \"passage: \"}}");
    assertThat(ModelSource.directory(dir).config())
        .isEqualTo(new EncoderConfig(Pooling.MEAN, new Prompts("query: ", "passage: ")));
  }

  @Test
  void findsThePoolingModuleWhereModulesJsonPutsIt() throws IOException {
    write(
        "modules.json",
        "[{\"idx\": 0, \"name\": \"0\", \"path\": \"\", \"type\":"
            + " \"sentence_transformers.models.Transformer\"},"
            + " {\"idx\": 1, \"name\": \"1\", \"path\": \"pool\", \"type\":"
            + " \"sentence_transformers.models.Pooling\"}]");
    write("pool/config.json", pooling(true, false));
    write("1_Pooling/config.json", pooling(false, true)); // not the one modules.json names
    assertThat(ModelSource.directory(dir).config().pooling()).isEqualTo(Pooling.CLS);
  }

  @Test
  void refusesAPoolingItDoesNotImplementNamingTheFile() throws IOException {
    write(
        "1_Pooling/config.json",
        "{\"pooling_mode_cls_token\": false, \"pooling_mode_mean_tokens\": true,"
            + " \"pooling_mode_max_tokens\": true}");
    assertThatThrownBy(() -> ModelSource.directory(dir).config())
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("1_Pooling/config.json")
        .hasMessageContaining("[pooling_mode_mean_tokens, pooling_mode_max_tokens]");
  }

  @Test
  void refusesAPromptThatIsNotText() throws IOException {
    write("config_sentence_transformers.json", "{\"prompts\": {\"query\": 42}}");
    assertThatThrownBy(() -> ModelSource.directory(dir).config())
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("config_sentence_transformers.json")
        .hasMessageContaining("prompts.query");
  }

  @Test
  void aModuleOutsideTheModelsFolderIsRefused() throws IOException {
    write(
        "modules.json",
        "[{\"path\": \"../elsewhere\", \"type\": \"sentence_transformers.models.Pooling\"}]");
    assertThatThrownBy(() -> ModelSource.directory(dir).config())
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("../elsewhere");
  }

  @Test
  void thePackagedModelsDescribeThemselvesTheSameWay() {
    assertThat(ModelSource.packaged("all-minilm-l6-v2").config()).isEqualTo(EncoderConfig.DEFAULT);
    assertThat(ModelSource.packaged("bge-small-en-v1.5").config())
        .isEqualTo(
            new EncoderConfig(
                Pooling.CLS,
                new Prompts("Represent this sentence for searching relevant passages: ", "")));
  }

  @Test
  void anUnknownPackagedNameListsTheKnownOnes() {
    assertThatThrownBy(() -> ModelSource.packaged("bge-large"))
        .isInstanceOf(ContextException.class)
        .hasMessage(
            "no packaged model 'bge-large' (packaged: all-minilm-l6-v2, all-minilm-l6-v2-q,"
                + " bge-small-en-v1.5)");
  }
}
