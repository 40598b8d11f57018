package dev.anvil.rbac.input;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * A YAML node that remembers where it came from, so that every error about user input can name
 * {@code file:line:column}. Accessors throw {@link PolicyLoadException} naming the node's location
 * and what was expected.
 */
public final class YamlNode {
  private final String file;
  private final String content;
  private final Node node;

  private YamlNode(String file, String content, Node node) {
    this.file = file;
    this.content = content;
    this.node = node;
  }

  /** Parses one YAML document; an empty document is an error naming the file. */
  public static YamlNode parse(String file, String content) {
    LoadSettings settings = LoadSettings.builder().setLabel(file).build();
    Optional<Node> root;
    try {
      root = new Compose(settings).composeReader(new PairSafeReader(content));
    } catch (MarkedYamlEngineException e) {
      Location at =
          e.getProblemMark()
              .map(m -> new Location(file, m.getLine() + 1, m.getColumn() + 1))
              .orElse(new Location(file, 1, 1));
      throw new PolicyLoadException(
          List.of(new Problem(at, "invalid YAML: " + e.getProblem().strip())));
    } catch (YamlEngineException e) {
      throw new PolicyLoadException(
          List.of(new Problem(new Location(file, 1, 1), "invalid YAML: " + e.getMessage())));
    }
    return new YamlNode(
        file,
        content,
        root.orElseThrow(
            () ->
                new PolicyLoadException(
                    List.of(new Problem(new Location(file, 1, 1), "the file is empty")))));
  }

  /** Where this node starts. */
  public Location location() {
    return node.getStartMark()
        .map(m -> new Location(file, m.getLine() + 1, m.getColumn() + 1))
        .orElse(new Location(file, 1, 1));
  }

  /** Character offset of this node's start in the file. */
  public int startIndex() {
    return node.getStartMark().map(m -> m.getIndex()).orElse(0);
  }

  /** The whole text of the file this node came from. */
  public String fileContent() {
    return content;
  }

  /** The file this node came from. */
  public String file() {
    return file;
  }

  /** A problem located at this node. */
  public Problem problem(String message) {
    return new Problem(location(), message);
  }

  /** An exception located at this node. */
  public PolicyLoadException error(String message) {
    return new PolicyLoadException(List.of(problem(message)));
  }

  public boolean isMap() {
    return node instanceof MappingNode;
  }

  public boolean isList() {
    return node instanceof SequenceNode;
  }

  public boolean isScalar() {
    return node instanceof ScalarNode;
  }

  /** The text of a scalar. */
  public String asString() {
    if (node instanceof ScalarNode s) {
      return s.getValue();
    }
    throw error("expected a single value, found " + kind());
  }

  /** The text of a scalar that must not be blank. */
  public String asNonBlankString() {
    String s = asString();
    if (s.isBlank()) {
      throw error("expected a non-empty value");
    }
    return s;
  }

  /** A {@code true}/{@code false} scalar. */
  public boolean asBoolean() {
    return switch (asString()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw error("expected true or false, found '" + asString() + "'");
    };
  }

  /** How a scalar was written; used to map offsets inside it back to file columns. */
  public ScalarStyle scalarStyle() {
    if (node instanceof ScalarNode s) {
      return s.getScalarStyle();
    }
    throw error("expected a single value, found " + kind());
  }

  /** The items of a sequence. */
  public List<YamlNode> asList() {
    if (node instanceof SequenceNode s) {
      return s.getValue().stream().map(n -> new YamlNode(file, content, n)).toList();
    }
    throw error("expected a list, found " + kind());
  }

  /** The items of a sequence of scalars, or a single scalar as a one-item list. */
  public List<String> asStringList() {
    if (isScalar()) {
      return List.of(asNonBlankString());
    }
    List<String> out = new ArrayList<>();
    for (YamlNode item : asList()) {
      out.add(item.asNonBlankString());
    }
    return out;
  }

  /** The entries of a mapping, in file order; duplicate keys are an error at the second one. */
  public Map<String, YamlNode> asMap() {
    if (!(node instanceof MappingNode m)) {
      throw error("expected a mapping (key: value), found " + kind());
    }
    Map<String, YamlNode> out = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      YamlNode key = new YamlNode(file, content, t.getKeyNode());
      String name = key.asNonBlankString();
      if (out.putIfAbsent(name, new YamlNode(file, content, t.getValueNode())) != null) {
        throw key.error("duplicate key '" + name + "'");
      }
    }
    return out;
  }

  /** A mapping of tag names to a value or a list of values: raw document tags. */
  public Map<String, Object> asRawTags() {
    Map<String, Object> out = new LinkedHashMap<>();
    asMap().forEach((tag, v) -> out.put(tag, v.isList() ? v.asStringList() : v.asString()));
    return out;
  }

  /** The location of a mapping's key (better than the value's for "unknown key" errors). */
  public Optional<Location> keyLocation(String key) {
    if (node instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(key)) {
          return Optional.of(new YamlNode(file, content, s).location());
        }
      }
    }
    return Optional.empty();
  }

  /** Optional entry of a mapping. */
  public Optional<YamlNode> get(String key) {
    return Optional.ofNullable(asMap().get(key));
  }

  /** Required entry of a mapping; missing is an error at the mapping naming the key. */
  public YamlNode required(String key) {
    return get(key).orElseThrow(() -> error("missing required field '" + key + "'"));
  }

  /** Rejects keys outside {@code allowed}, so that a typo such as {@code efect} is not ignored. */
  public void allowOnly(Set<String> allowed) {
    for (String key : asMap().keySet()) {
      if (!allowed.contains(key)) {
        throw new PolicyLoadException(
            List.of(
                new Problem(
                    keyLocation(key).orElse(location()),
                    "unknown field '"
                        + key
                        + "' (expected one of: "
                        + new TreeSet<>(allowed)
                        + ")")));
      }
    }
  }

  private String kind() {
    return switch (node) {
      case MappingNode m -> "a mapping";
      case SequenceNode s -> "a list";
      case ScalarNode s -> "'" + s.getValue() + "'";
      default -> "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
