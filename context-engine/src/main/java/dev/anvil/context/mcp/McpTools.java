package dev.anvil.context.mcp;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Limits;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.grpc.Admission;
import dev.anvil.context.grpc.CallAudit;
import dev.anvil.identity.Identity;
import dev.anvil.judge.Feedback;
import dev.anvil.judge.Judging;
import dev.anvil.judge.Judgment;
import dev.anvil.judge.Source;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rpc.ConcurrencyLimit;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.modelcontextprotocol.spec.McpSchema.ToolAnnotations;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The context engine's MCP tools: {@code search}, {@code get_document} and {@code list_tags}, for
 * any MCP transport. Each call runs as the verified caller through the same path as the gRPC
 * service: the caller's rate ({@link Admission}, shared with gRPC), the request's sizes ({@link
 * Limits}), a search slot, the engine's policy-filtered read, and one audit record ({@link
 * CallAudit}) with the same action and status names, before the answer is returned. A call that
 * fails is audited too and answered as an MCP tool error whose text names the field and limit.
 *
 * <p>With judgments ({@link Judging}), {@code submit_feedback} records a graded label or a thumbs
 * up or down on a chunk the caller received, through {@link Judging#feedback}: the same decision
 * ({@code read} and {@code judge}) and the same store as the {@code JudgmentService}'s labels.
 *
 * <p>Thread-safe.
 */
public final class McpTools {
  /** How long a search may run before it is stopped (an MCP client waits about as long). */
  public static final Duration DEADLINE = Duration.ofSeconds(30);

  /** The tool that searches. */
  public static final String SEARCH = "search";

  /** The tool that reads one document. */
  public static final String GET_DOCUMENT = "get_document";

  /** The tool that lists the tag schema. */
  public static final String LIST_TAGS = "list_tags";

  /** The tool that records feedback on a chunk (only with judgments). */
  public static final String SUBMIT_FEEDBACK = "submit_feedback";

  private final ContextEngine engine;
  private final Optional<Judging> judging;
  private final CallAudit calls;
  private final Admission admission;
  private final Limits limits;
  private final JsonSchemaValidator validator = McpJsonDefaults.getSchemaValidator();
  private final ToolTelemetry telemetry;
  private final Map<String, Tool> tools = new LinkedHashMap<>();

  /**
   * The tools over {@code engine}, auditing to {@code audit}, admitting calls through {@code
   * admission} (share the gRPC service's) and holding requests to {@code limits}.
   */
  public McpTools(
      ContextEngine engine,
      AuditLog audit,
      Admission admission,
      Limits limits,
      Clock clock,
      OpenTelemetry otel) {
    this(engine, audit, admission, limits, clock, otel, Optional.empty());
  }

  /**
   * The tools, and {@code submit_feedback} when {@code judging} is present (feedback is stored
   * there).
   */
  public McpTools(
      ContextEngine engine,
      AuditLog audit,
      Admission admission,
      Limits limits,
      Clock clock,
      OpenTelemetry otel,
      Optional<Judging> judging) {
    this.judging = Objects.requireNonNull(judging, "judging");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.calls = new CallAudit(engine, Objects.requireNonNull(audit, "audit"), clock);
    this.admission = Objects.requireNonNull(admission, "admission");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.telemetry = new ToolTelemetry(otel);
    add(
        SEARCH,
        "Search the documents you may read",
        "Searches the organisation's documents as you (the user whose token this is): only what"
            + " your access policies allow is ever searched or returned. Returns the best chunks"
            + " within top_k and token_budget, each with its provenance: document id, version,"
            + " chunk number, source, tags and the policies that permit you to read it. Narrow"
            + " by tags with filters (list_tags names them).",
        ToolSchemas.searchInput(limits),
        ToolSchemas.searchOutput());
    add(
        GET_DOCUMENT,
        "Read one document",
        "Returns every chunk of one document, in order, with its provenance, if you may read it."
            + " A document you may not read is answered exactly as one that does not exist.",
        ToolSchemas.getDocumentInput(),
        ToolSchemas.getDocumentOutput());
    add(
        LIST_TAGS,
        "List the tags you can filter on",
        "The tag schema: every tag documents carry, its type and its allowed values. Use them in"
            + " search's filters.",
        ToolSchemas.listTagsInput(),
        ToolSchemas.listTagsOutput());
    if (judging.isPresent()) {
      tools.put(
          SUBMIT_FEEDBACK,
          Tool.builder(SUBMIT_FEEDBACK)
              .title("Give feedback on a result")
              .description(
                  "Records your feedback on one chunk search returned for a query: either a"
                      + " thumbs up or down, or a graded label (0 irrelevant, 1 related, 2"
                      + " relevant, 3 perfectly relevant). Giving it again for the same query and"
                      + " chunk changes it. Only chunks you may read and judge are accepted; a"
                      + " chunk you may not read is answered as one that does not exist.")
              .inputSchema(ToolSchemas.feedbackInput())
              .outputSchema(ToolSchemas.feedbackOutput())
              // Writes, but the same feedback twice is one judgment: idempotent, not destructive.
              .annotations(
                  new ToolAnnotations("Give feedback on a result", false, false, true, false, null))
              .build());
    }
  }

  private void add(
      String name,
      String title,
      String description,
      Map<String, Object> input,
      Map<String, Object> output) {
    tools.put(
        name,
        Tool.builder(name)
            .title(title)
            .description(description)
            .inputSchema(input)
            .outputSchema(output)
            .annotations(new ToolAnnotations(title, true, false, true, false, null))
            .build());
  }

  /** The tools, as {@code tools/list} declares them. */
  public List<Tool> tools() {
    return List.copyOf(tools.values());
  }

  /**
   * Calls a tool as {@code who}.
   *
   * @param via how the call arrived, recorded in the audit record's detail (e.g. {@code via=mcp})
   * @return the answer, or a tool error ({@code isError}) saying what was wrong; never throws for
   *     anything the caller did
   */
  public CallToolResult call(Identity who, String via, CallToolRequest request) {
    Objects.requireNonNull(who, "who");
    Tool tool = tools.get(request.name());
    if (tool == null) {
      return Replies.error("unknown tool '" + request.name() + "' (tools: " + tools.keySet() + ")");
    }
    Map<String, Object> args = request.arguments() == null ? Map.of() : request.arguments();
    return telemetry.call(
        tool.name(),
        () ->
            switch (tool.name()) {
              case SEARCH -> search(who, via, tool, args);
              case GET_DOCUMENT -> getDocument(who, via, tool, args);
              case SUBMIT_FEEDBACK -> feedback(who, via, tool, args);
              default -> listTags(who, via, tool, args);
            });
  }

  private CallToolResult search(Identity who, String via, Tool tool, Map<String, Object> args) {
    String digest =
        args.get("query") instanceof String q ? CallAudit.digest(q) : CallAudit.digest("");
    try {
      admit(who, tool, args);
      Arguments a = new Arguments(args);
      SearchRequest asked =
          new SearchRequest(
              a.string("query"),
              a.integer("top_k", 10),
              a.integer("token_budget", 0),
              a.filters("filters"),
              SearchRequest.Mode.valueOf(
                  a.optionalString("mode").orElse("hybrid").toUpperCase(java.util.Locale.ROOT)),
              List.of());
      // The sizes the schema cannot say (values of all filter tags together) and every other
      // limit again, exactly as gRPC checks them.
      limits.check(asked);
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      SearchResponse res;
      try (ConcurrencyLimit.Slot slot = admission.search()) {
        res = engine.search(who.principal(), asked, () -> System.nanoTime() > deadline);
      }
      calls.record(
          who, "search", digest, res.documentIds(), res.policyVersion(), res.modelId(), "OK", via);
      return Replies.ok(Replies.search(res));
    } catch (RuntimeException e) {
      return fail(who, via, "search", digest, List.of(), e);
    }
  }

  private CallToolResult getDocument(
      Identity who, String via, Tool tool, Map<String, Object> args) {
    String id = args.get("document_id") instanceof String s ? s : "";
    List<String> named = id.isEmpty() ? List.of() : List.of(id);
    try {
      admit(who, tool, args);
      List<SearchHit> chunks = engine.get(who.principal(), id);
      String version = engine.policies().current().version();
      if (chunks.isEmpty()) {
        // The gRPC service's words: a document one may not read and one that does not exist
        // are the same answer, so nothing tells them apart.
        throw io.grpc.Status.NOT_FOUND
            .withDescription("no document '" + id + "' that you may read")
            .asRuntimeException();
      }
      calls.record(who, "get", "", named, version, engine.modelId(), "OK", via);
      return Replies.ok(Replies.document(chunks, version));
    } catch (RuntimeException e) {
      return fail(who, via, "get", "", named, e);
    }
  }

  private CallToolResult feedback(Identity who, String via, Tool tool, Map<String, Object> args) {
    String digest =
        args.get("query") instanceof String q ? CallAudit.digest(q) : CallAudit.digest("");
    String id = args.get("document_id") instanceof String s ? s : "";
    List<String> named = id.isEmpty() ? List.of() : List.of(id);
    try {
      admit(who, tool, args);
      Arguments a = new Arguments(args);
      Optional<String> thumbs = a.optionalString("thumbs");
      int graded = a.integer("label", -1);
      if (thumbs.isPresent() == (graded >= 0)) {
        throw new dev.anvil.context.api.InvalidRequestException(
            "arguments", "give exactly one of thumbs (up, down) or label (0 to 3)");
      }
      int label =
          thumbs
              .map(t -> t.equals("up") ? Feedback.THUMBS_UP : Feedback.THUMBS_DOWN)
              .orElse(graded);
      // A thumb is a click; a grade is a person's considered label.
      Source source = thumbs.isPresent() ? Source.CLICK : Source.EXPERT;
      Judgment j =
          judging
              .orElseThrow()
              .feedback(
                  who.principal(),
                  new Feedback(
                      a.string("query"),
                      id,
                      a.integer("chunk", 0),
                      label,
                      a.optionalString("rationale").orElse("")),
                  source);
      calls.record(
          who, "judge_feedback", digest, named, j.policyVersion(), engine.modelId(), "OK", via);
      return Replies.ok(Replies.feedback(j));
    } catch (RuntimeException e) {
      return fail(who, via, "judge_feedback", digest, named, e);
    }
  }

  private CallToolResult listTags(Identity who, String via, Tool tool, Map<String, Object> args) {
    try {
      admit(who, tool, args);
      PolicySet policies = engine.policies().current();
      calls.record(
          who, "list_tags", "", List.of(), policies.version(), engine.modelId(), "OK", via);
      return Replies.ok(Replies.tags(policies.schema(), policies.version()));
    } catch (RuntimeException e) {
      return fail(who, via, "list_tags", "", List.of(), e);
    }
  }

  /**
   * The caller's rate first (as gRPC takes it), then the arguments against the tool's declared
   * schema: validated here rather than by the SDK so that a refused call is audited like any other.
   */
  private void admit(Identity who, Tool tool, Map<String, Object> args) {
    admission.rate(who.principal().subject());
    JsonSchemaValidator.ValidationResponse v = validator.validate(tool.inputSchema(), args);
    if (!v.valid()) {
      throw Arguments.refusal(v.errorMessage());
    }
  }

  private CallToolResult fail(
      Identity who,
      String via,
      String action,
      String digest,
      List<String> ids,
      RuntimeException e) {
    Replies.Failure f = Replies.failure(e, DEADLINE);
    calls.record(
        who,
        action,
        digest,
        ids,
        engine.policies().current().version(),
        engine.modelId(),
        f.status(),
        via);
    return Replies.error(f.message());
  }
}
