package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code deploy/docker/Dockerfile} read as text: its stages by name, each with its base and its
 * instructions in order (continuation lines joined, comments dropped). There is no Docker engine in
 * CI, so ImageTest and OciImageTest compare what they run with this.
 */
record Dockerfile(Map<String, Stage> stages) {
  static final Path PATH = ImageTest.REPO.resolve("deploy/docker/Dockerfile");

  /** One stage: its base and its instructions in order. */
  record Stage(String name, String from, List<Map.Entry<String, String>> instructions) {}

  static Dockerfile read() {
    try {
      return parse(Files.readString(PATH));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Dockerfile parse(String dockerfile) {
    Map<String, Stage> result = new LinkedHashMap<>();
    Stage current = null;
    String joined = dockerfile.replaceAll("(?m)^\\s*#.*\\n", "").replaceAll("\\\\\\n", " ");
    for (String line : joined.split("\\n")) {
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split("\\s+", 2);
      String instruction = parts[0].toUpperCase();
      String args = parts.length > 1 ? parts[1] : "";
      if (instruction.equals("FROM")) {
        Matcher m =
            Pattern.compile("(\\S+)\\s+AS\\s+(\\S+)", Pattern.CASE_INSENSITIVE).matcher(args);
        assertThat(m.matches()).as("every stage is named: FROM %s", args).isTrue();
        current = new Stage(m.group(2), m.group(1), new ArrayList<>());
        result.put(current.name(), current);
      } else if (current != null) {
        current.instructions().add(Map.entry(instruction, args));
      }
    }
    return new Dockerfile(Map.copyOf(result));
  }

  /** A stage's instructions, including those of the stages it builds on. */
  List<Map.Entry<String, String>> inherited(String name) {
    Stage s = stages.get(name);
    List<Map.Entry<String, String>> all = new ArrayList<>();
    if (stages.containsKey(s.from())) {
      all.addAll(inherited(s.from()));
    }
    all.addAll(s.instructions());
    return all;
  }

  /** The arguments of the last {@code instruction} in effect for a stage. */
  String last(String stage, String instruction) {
    return inherited(stage).stream()
        .filter(i -> i.getKey().equals(instruction))
        .reduce((a, b) -> b)
        .orElseThrow()
        .getValue();
  }

  /** Every {@code ENV} variable in effect for a stage, in order. */
  Map<String, String> env(String stage) {
    Map<String, String> env = new LinkedHashMap<>();
    for (Map.Entry<String, String> i : inherited(stage)) {
      if (i.getKey().equals("ENV")) {
        Matcher m = Pattern.compile("(\\w+)=(\\S+)").matcher(i.getValue());
        while (m.find()) {
          env.put(m.group(1), m.group(2));
        }
      }
    }
    return env;
  }

  /** The words of an exec-form instruction such as {@code ["java", "-jar", "x.jar"]}. */
  static List<String> execForm(String json) {
    assertThat(json).as("exec form, no shell").startsWith("[");
    List<String> words = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(json);
    while (m.find()) {
      words.add(m.group(1));
    }
    return words;
  }
}
