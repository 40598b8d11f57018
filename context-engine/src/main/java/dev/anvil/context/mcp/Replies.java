package dev.anvil.context.mcp;

import dev.anvil.context.api.SearchCancelledException;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.grpc.GrpcErrors;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import io.grpc.Status;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the tools answer: structured content (as each tool's output schema declares it) with the
 * same JSON as text for clients that read only text, as the MCP specification recommends; or a tool
 * error whose text says what was wrong.
 */
final class Replies {
  private Replies() {}

  /**
   * A failed call as the audit records it and the agent reads it.
   *
   * @param status the gRPC status code name, as every audit record names it
   * @param message what was wrong, naming the field and limit where there is one
   */
  record Failure(String status, String message) {}

  static Failure failure(RuntimeException e, Duration deadline) {
    if (e instanceof SearchCancelledException) {
      return new Failure(
          Status.Code.DEADLINE_EXCEEDED.name(),
          "the search ran past " + deadline.toSeconds() + " s and was stopped; ask a narrower one");
    }
    Status s = GrpcErrors.toStatus(e).getStatus();
    return new Failure(s.getCode().name(), s.getDescription());
  }

  static CallToolResult ok(Map<String, Object> structured) {
    try {
      return CallToolResult.builder()
          .content(
              List.of(
                  TextContent.builder(McpJsonDefaults.getMapper().writeValueAsString(structured))
                      .build()))
          .structuredContent(structured)
          .isError(false)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a tool's answer as JSON", e);
    }
  }

  static CallToolResult error(String message) {
    return CallToolResult.builder()
        .content(List.of(TextContent.builder(message).build()))
        .isError(true)
        .build();
  }

  static Map<String, Object> search(SearchResponse res) {
    List<Map<String, Object>> chunks = new ArrayList<>();
    int tokens = 0;
    for (SearchHit h : res.hits()) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("document_id", h.documentId());
      c.put("version", h.version());
      c.put("chunk", h.chunk());
      c.put("title", h.title());
      c.put("source", h.source());
      c.put("text", h.text());
      c.put("tags", tags(h.tags()));
      c.put("score", h.score());
      c.put("policies", h.policies());
      c.put("tokens", h.tokens());
      chunks.add(c);
      tokens += h.tokens();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("chunks", chunks);
    out.put("visible_matches", res.visibleMatches());
    out.put("visible_matches_exact", res.visibleMatchesExact());
    out.put("tokens", tokens);
    out.put("policy_version", res.policyVersion());
    out.put("model_id", res.modelId());
    return out;
  }

  /** A document from its chunks (in order; one document, so one set of tags and policies). */
  static Map<String, Object> document(List<SearchHit> chunks, String policyVersion) {
    SearchHit first = chunks.getFirst();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("document_id", first.documentId());
    out.put("version", first.version());
    out.put("title", first.title());
    out.put("source", first.source());
    out.put("tags", tags(first.tags()));
    out.put("policies", first.policies());
    out.put(
        "chunks",
        chunks.stream()
            .<Map<String, Object>>map(
                h -> {
                  Map<String, Object> c = new LinkedHashMap<>();
                  c.put("chunk", h.chunk());
                  c.put("text", h.text());
                  c.put("tokens", h.tokens());
                  return c;
                })
            .toList());
    out.put("policy_version", policyVersion);
    return out;
  }

  static Map<String, Object> feedback(dev.anvil.judge.Judgment j) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("judgment_id", j.id());
    out.put("item_id", j.itemId());
    out.put("label", j.label());
    out.put("source", j.source().id());
    out.put("status", j.status().name().toLowerCase(java.util.Locale.ROOT));
    out.put("policy_version", j.policyVersion());
    return out;
  }

  static Map<String, Object> tags(TagSchema schema, String policyVersion) {
    List<Map<String, Object>> tags = new ArrayList<>();
    for (TagDefinition t : schema.tags()) {
      Map<String, Object> tag = new LinkedHashMap<>();
      tag.put("name", t.name());
      tag.put("type", t.type().id());
      tag.put("values", t.values());
      tag.put("required", t.required());
      tag.put("description", t.description());
      tags.add(tag);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("tags", tags);
    out.put("policy_version", policyVersion);
    return out;
  }

  /** Tag values as text, or lists of text (set tags), in a stable order. */
  private static Map<String, Object> tags(Map<String, Object> tags) {
    Map<String, Object> out = new java.util.TreeMap<>();
    tags.forEach(
        (tag, v) ->
            out.put(
                tag, v instanceof List<?> l ? l.stream().map(Object::toString).toList() : "" + v));
    return out;
  }
}
