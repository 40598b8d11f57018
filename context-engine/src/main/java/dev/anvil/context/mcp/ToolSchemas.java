package dev.anvil.context.mcp;

import dev.anvil.context.api.Document;
import dev.anvil.context.api.Limits;
import dev.anvil.judge.Judgment;
import dev.anvil.judge.TaskSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON schemas the MCP tools declare: their inputs, with the server's {@link Limits} written
 * into them (so an agent reads the bounds before it calls), and their structured outputs.
 */
final class ToolSchemas {
  private ToolSchemas() {}

  /** The input of {@code search}. */
  static Map<String, Object> searchInput(Limits limits) {
    return object(
        props(
            "query",
            described(
                Map.of("type", "string", "minLength", 1, "maxLength", limits.queryChars()),
                "The question, in natural language or keywords."),
            "filters",
            described(
                Map.of(
                    "type",
                    "object",
                    "maxProperties",
                    limits.filterTags(),
                    "additionalProperties",
                    Map.of("type", "array", "minItems", 1, "items", Map.of("type", "string"))),
                "Only documents whose tags match: tag name to accepted values (every tag must"
                    + " match one of its values), e.g. {\"department\": [\"engineering\"]}. It"
                    + " narrows what you may see, never widens it. list_tags names the tags and"
                    + " values. At most "
                    + limits.filterValues()
                    + " values in all."),
            "top_k",
            described(
                Map.of("type", "integer", "minimum", 1, "maximum", limits.topK(), "default", 10),
                "The most chunks to return."),
            "token_budget",
            described(
                Map.of(
                    "type", "integer", "minimum", 0, "maximum", limits.tokenBudget(), "default", 0),
                "The most tokens of chunk text to return, best chunks first; chunks are never"
                    + " cut (0: no budget)."),
            "mode",
            described(
                Map.of("type", "string", "enum", List.of("hybrid", "bm25", "dense")),
                "Which retrievers run: keywords and vectors fused (hybrid, the default),"
                    + " keywords only (bm25) or vectors only (dense).")),
        List.of("query"));
  }

  /** The input of {@code get_document}. */
  static Map<String, Object> getDocumentInput() {
    return object(
        props(
            "document_id",
            described(
                Map.of("type", "string", "minLength", 1, "maxLength", Document.MAX_ID_LENGTH),
                "The id of a document, as search returned it.")),
        List.of("document_id"));
  }

  /** The input of {@code submit_feedback}. */
  static Map<String, Object> feedbackInput() {
    return object(
        props(
            "query",
            described(
                Map.of("type", "string", "minLength", 1, "maxLength", TaskSpec.MAX_QUERY_CHARS),
                "The query the chunk was returned for."),
            "document_id",
            described(
                Map.of("type", "string", "minLength", 1, "maxLength", Document.MAX_ID_LENGTH),
                "The chunk's document id, as search returned it."),
            "chunk",
            described(
                Map.of("type", "integer", "minimum", 0, "maximum", Integer.MAX_VALUE),
                "The chunk number, as search returned it."),
            "thumbs",
            described(
                Map.of("type", "string", "enum", List.of("up", "down")),
                "A thumbs up (relevant) or down (irrelevant); or give label instead."),
            "label",
            described(
                Map.of("type", "integer", "minimum", 0, "maximum", 3),
                "A graded label: 0 irrelevant, 1 related, 2 relevant, 3 perfectly relevant."),
            "rationale",
            described(
                Map.of("type", "string", "maxLength", Judgment.MAX_RATIONALE),
                "Why, in a sentence (optional).")),
        List.of("query", "document_id", "chunk"));
  }

  /** The structured output of {@code submit_feedback}. */
  static Map<String, Object> feedbackOutput() {
    return object(
        props(
            "judgment_id", Map.of("type", "string"),
            "item_id", Map.of("type", "string"),
            "label", Map.of("type", "integer"),
            "source", described(Map.of("type", "string"), "click (thumbs) or expert (label)."),
            "status", Map.of("type", "string"),
            "policy_version",
                described(Map.of("type", "string"), "The policy set that allowed the feedback.")),
        List.of("judgment_id", "item_id", "label", "source", "status", "policy_version"));
  }

  /** The input of {@code list_tags}: nothing. */
  static Map<String, Object> listTagsInput() {
    return object(Map.of(), List.of());
  }

  /** The structured output of {@code search}. */
  static Map<String, Object> searchOutput() {
    return object(
        props(
            "chunks",
            Map.of("type", "array", "items", chunk()),
            "visible_matches",
            described(
                Map.of("type", "integer"),
                "Chunks you may see that match the keywords; in a dense search, every chunk you may"
                    + " see (exact up to 1,000)."),
            "visible_matches_exact",
            Map.of("type", "boolean"),
            "tokens",
            described(Map.of("type", "integer"), "Tokens of the returned chunks' text."),
            "policy_version",
            described(Map.of("type", "string"), "The policy set that decided what you see."),
            "model_id",
            described(Map.of("type", "string"), "The embedding model that answered.")),
        List.of(
            "chunks",
            "visible_matches",
            "visible_matches_exact",
            "tokens",
            "policy_version",
            "model_id"));
  }

  /** The structured output of {@code get_document}. */
  static Map<String, Object> getDocumentOutput() {
    Map<String, Object> chunk =
        object(
            props(
                "chunk", Map.of("type", "integer"),
                "text", Map.of("type", "string"),
                "tokens", Map.of("type", "integer")),
            List.of("chunk", "text", "tokens"));
    return object(
        props(
            "document_id", Map.of("type", "string"),
            "version", Map.of("type", "integer"),
            "title", Map.of("type", "string"),
            "source", Map.of("type", "string"),
            "tags", TAGS,
            "policies", POLICIES,
            "chunks", Map.of("type", "array", "items", chunk),
            "policy_version", Map.of("type", "string")),
        List.of(
            "document_id",
            "version",
            "title",
            "source",
            "tags",
            "policies",
            "chunks",
            "policy_version"));
  }

  /** The structured output of {@code list_tags}. */
  static Map<String, Object> listTagsOutput() {
    Map<String, Object> tag =
        object(
            props(
                "name",
                Map.of("type", "string"),
                "type",
                described(
                    Map.of(
                        "type",
                        "string",
                        "enum",
                        List.of("ordered", "enum", "set", "string", "principal")),
                    "ordered: one level (values lowest first); enum: one value; set: several"
                        + " values; string: any text; principal: a user id."),
                "values",
                Map.of("type", "array", "items", Map.of("type", "string")),
                "required",
                Map.of("type", "boolean"),
                "description",
                Map.of("type", "string")),
            List.of("name", "type", "values", "required", "description"));
    return object(
        props(
            "tags",
            Map.of("type", "array", "items", tag),
            "policy_version",
            Map.of("type", "string")),
        List.of("tags", "policy_version"));
  }

  private static final Map<String, Object> TAGS =
      described(
          Map.of(
              "type",
              "object",
              "additionalProperties",
              Map.of(
                  "anyOf",
                  List.of(
                      Map.of("type", "string"),
                      Map.of("type", "array", "items", Map.of("type", "string"))))),
          "The document's tags: a value, or a list of values for set tags.");

  private static final Map<String, Object> POLICIES =
      described(
          Map.of("type", "array", "items", Map.of("type", "string")),
          "The ids of the policies that permit you to read it.");

  private static Map<String, Object> chunk() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("document_id", Map.of("type", "string"));
    p.put("version", Map.of("type", "integer"));
    p.put("chunk", described(Map.of("type", "integer"), "Its place in the document, from 0."));
    p.put("title", Map.of("type", "string"));
    p.put("source", described(Map.of("type", "string"), "Where the document came from (a URI)."));
    p.put("text", Map.of("type", "string"));
    p.put("tags", TAGS);
    p.put("score", Map.of("type", "number"));
    p.put("policies", POLICIES);
    p.put("tokens", Map.of("type", "integer"));
    return object(p, List.copyOf(p.keySet()));
  }

  private static Map<String, Object> object(Map<String, Object> properties, List<String> required) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "object");
    s.put("properties", properties);
    if (!required.isEmpty()) {
      s.put("required", required);
    }
    // A misspelt argument is an error an agent can fix, not a silently ignored wish.
    s.put("additionalProperties", false);
    return s;
  }

  private static Map<String, Object> described(Map<String, Object> schema, String description) {
    Map<String, Object> s = new LinkedHashMap<>(schema);
    s.put("description", description);
    return s;
  }

  /** Properties in the order given: name, schema, name, schema, ... */
  private static Map<String, Object> props(Object... nameThenSchema) {
    Map<String, Object> p = new LinkedHashMap<>();
    for (int i = 0; i < nameThenSchema.length; i += 2) {
      p.put((String) nameThenSchema[i], nameThenSchema[i + 1]);
    }
    return p;
  }
}
