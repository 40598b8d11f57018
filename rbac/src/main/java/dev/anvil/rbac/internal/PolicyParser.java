package dev.anvil.rbac.internal;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.Effect;
import dev.anvil.rbac.Policy;
import dev.anvil.rbac.input.Location;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.input.Problem;
import dev.anvil.rbac.input.YamlNode;
import dev.anvil.rbac.internal.cond.ConditionCompiler;
import dev.anvil.rbac.internal.cond.Expr;
import dev.anvil.rbac.schema.TagSchema;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.common.ScalarStyle;

/**
 * Reads policy files: a YAML list of policies, each
 *
 * <pre>{@code
 * - id: department-confidential
 *   effect: allow            # allow | deny
 *   actions: [read]
 *   description: optional text
 *   when: "doc.classification <= 'confidential' && ..."
 * }</pre>
 *
 * All problems in all files are collected and reported together; if there is any, no policy set is
 * produced.
 */
public final class PolicyParser {
  private static final Set<String> FIELDS =
      Set.of("id", "effect", "actions", "description", "when");

  /** A policy with its compiled condition. */
  public record ParsedPolicy(Policy policy, Expr condition) {}

  private PolicyParser() {}

  /** Parses and checks policy files against a schema. */
  public static List<ParsedPolicy> parse(TagSchema schema, List<PolicySource> files) {
    ConditionCompiler compiler = new ConditionCompiler(schema);
    List<Problem> problems = new ArrayList<>();
    List<ParsedPolicy> out = new ArrayList<>();
    Map<String, Location> seen = new HashMap<>();
    for (PolicySource file : files) {
      List<YamlNode> items;
      try {
        YamlNode root = YamlNode.parse(file.name(), file.content());
        items = root.asList();
      } catch (PolicyLoadException e) {
        problems.addAll(e.problems());
        continue;
      }
      for (YamlNode item : items) {
        try {
          ParsedPolicy p = parsePolicy(item, compiler);
          Location first = seen.putIfAbsent(p.policy().id(), p.policy().location());
          if (first != null) {
            problems.add(
                item.required("id")
                    .problem(
                        "duplicate policy id '"
                            + p.policy().id()
                            + "' (first defined at "
                            + first
                            + ")"));
          } else {
            out.add(p);
          }
        } catch (PolicyLoadException e) {
          problems.addAll(e.problems());
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyLoadException(problems);
    }
    if (out.isEmpty()) {
      throw new PolicyLoadException(
          List.of(
              new Problem(
                  new Location(
                      files.isEmpty() ? "(no policy files)" : files.getFirst().name(), 1, 1),
                  "no policies defined")));
    }
    return out;
  }

  private static ParsedPolicy parsePolicy(YamlNode item, ConditionCompiler compiler) {
    item.allowOnly(FIELDS);
    YamlNode idNode = item.required("id");
    String id = idNode.asNonBlankString();
    if (!Policy.ID.matcher(id).matches() || id.equals(Decision.DEFAULT_DENY)) {
      throw idNode.error(
          "policy id '"
              + id
              + "' must be lower-case letters, digits, '.', '_' or '-'"
              + (id.equals(Decision.DEFAULT_DENY) ? " and not the reserved 'default-deny'" : ""));
    }
    YamlNode effectNode = item.required("effect");
    Effect effect =
        switch (effectNode.asString()) {
          case "allow" -> Effect.ALLOW;
          case "deny" -> Effect.DENY;
          default ->
              throw effectNode.error(
                  "effect must be allow or deny, was '" + effectNode.asString() + "'");
        };
    YamlNode actionsNode = item.required("actions");
    Set<Action> actions = EnumSet.noneOf(Action.class);
    for (YamlNode a : actionsNode.asList()) {
      actions.add(
          Action.fromId(a.asString())
              .orElseThrow(
                  () ->
                      a.error(
                          "unknown action '"
                              + a.asString()
                              + "' (expected one of: "
                              + Action.allIds()
                              + ")")));
    }
    if (actions.isEmpty()) {
      throw actionsNode.error("a policy needs at least one action");
    }
    String description = item.get("description").map(YamlNode::asString).orElse("");
    YamlNode when = item.required("when");
    String condition = when.asNonBlankString();
    Expr expr = compiler.compile(condition, locator(when));
    return new ParsedPolicy(
        new Policy(id, effect, actions, description, condition, item.location()), expr);
  }

  /**
   * Maps a position in a condition back to the policy file, following how the YAML scalar was
   * written: a literal block keeps lines; other styles fold lines into spaces.
   */
  private static ConditionCompiler.Locator locator(YamlNode when) {
    String text = when.fileContent();
    Location start = when.location();
    ScalarStyle style = when.scalarStyle();
    if (style == ScalarStyle.LITERAL) {
      return (line, column) -> {
        int fileLine = start.line() + line;
        int indent = indentOf(text, firstNonBlankLineFrom(text, start.line() + 1));
        return new Location(start.file(), fileLine, indent + column + 1);
      };
    }
    int contentStart =
        switch (style) {
          case DOUBLE_QUOTED, SINGLE_QUOTED -> when.startIndex() + 1;
          case FOLDED ->
              lineStart(text, firstNonBlankLineFrom(text, start.line() + 1))
                  + indentOf(text, firstNonBlankLineFrom(text, start.line() + 1));
          default -> when.startIndex();
        };
    return (line, column) -> {
      // Walk the raw text: a line break plus the next line's indentation folds to one space.
      int pos = contentStart;
      for (int count = 0; count < column && pos < text.length(); count++) {
        if (text.charAt(pos) == '\n') {
          pos++;
          while (pos < text.length() && text.charAt(pos) == ' ') {
            pos++;
          }
        } else {
          pos++;
        }
      }
      return locationOf(start.file(), text, pos);
    };
  }

  private static Location locationOf(String file, String text, int index) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < index && i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new Location(file, line, index - lineStart + 1);
  }

  private static int lineStart(String text, int line) {
    int pos = 0;
    for (int l = 1; l < line && pos >= 0; l++) {
      pos = text.indexOf('\n', pos) + 1;
    }
    return Math.max(0, pos);
  }

  private static int firstNonBlankLineFrom(String text, int line) {
    List<String> lines = text.lines().toList();
    for (int l = line; l <= lines.size(); l++) {
      if (!lines.get(l - 1).isBlank()) {
        return l;
      }
    }
    return line;
  }

  private static int indentOf(String text, int line) {
    List<String> lines = text.lines().toList();
    if (line < 1 || line > lines.size()) {
      return 0;
    }
    String l = lines.get(line - 1);
    return l.length() - l.stripLeading().length();
  }

  /** The content hash naming a policy set version: the schema, then each policy file. */
  public static String version(PolicySource schema, List<PolicySource> policies) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      update(sha, schema.content());
      for (PolicySource p : policies) {
        update(sha, p.content());
      }
      return "sha256:" + HexFormat.of().formatHex(sha.digest()).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  private static void update(MessageDigest sha, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    sha.update(java.nio.ByteBuffer.allocate(8).putLong(bytes.length).array());
    sha.update(bytes);
  }
}
