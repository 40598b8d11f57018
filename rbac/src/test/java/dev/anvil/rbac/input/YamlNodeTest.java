package dev.anvil.rbac.input;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class YamlNodeTest {

  @Test
  void readsACharacterOutsideTheBasicMultilingualPlaneWhereverItFalls() {
    // snakeyaml-engine reads in blocks of 1,024 characters; an emoji straddling a block's end
    // once made loading fail with IndexOutOfBoundsException (found by CelDifferentialTest).
    for (int pad = 1000; pad < 2100; pad++) {
      String value = "x".repeat(pad) + "😀";
      YamlNode root = YamlNode.parse("f.yaml", "k: \"" + value + "\"\n");
      assertThat(root.required("k").asNonBlankString()).as("padding %d", pad).isEqualTo(value);
    }
  }
}
