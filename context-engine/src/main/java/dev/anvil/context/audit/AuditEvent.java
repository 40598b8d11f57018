package dev.anvil.context.audit;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One audited request. The query itself is not recorded, only its SHA-256 digest: the audit log
 * proves what was asked without becoming a second copy of sensitive questions.
 *
 * @param time when the response was ready
 * @param subject the user's stable id
 * @param username the user's readable name
 * @param agent the client acting for the user (the token's {@code azp}), or empty
 * @param action search, get, ingest or delete
 * @param queryDigest {@code sha256:...} of the query text, or empty
 * @param documentIds documents returned (search, get) or written (ingest, delete)
 * @param policyVersion the policy set that decided
 * @param modelId the embedding model used, or empty
 * @param status the gRPC status code name, e.g. {@code OK} or {@code PERMISSION_DENIED}
 * @param detail more about it, or empty (e.g. why a write failed)
 */
public record AuditEvent(
    Instant time,
    String subject,
    String username,
    String agent,
    String action,
    String queryDigest,
    List<String> documentIds,
    String policyVersion,
    String modelId,
    String status,
    String detail) {
  /** The action of the record that follows a line cut short by a crash. */
  public static final String RECOVERED = "audit_log_recovered";

  public AuditEvent {
    Objects.requireNonNull(time, "time");
    documentIds = List.copyOf(documentIds);
    detail = detail == null ? "" : detail;
  }

  /** The record that follows a last line of {@code tornBytes} bytes cut short by a crash. */
  static AuditEvent recovered(long tornBytes) {
    return new AuditEvent(
        Instant.now(),
        "anvil",
        "anvil",
        "",
        RECOVERED,
        "",
        List.of(),
        "",
        "",
        "OK",
        "torn_bytes=" + tornBytes);
  }

  /** The event as one line of JSON, as the record {@code seq} after the record {@code prev}. */
  public String toJson(long seq, String prev) {
    return "{\"seq\":" + seq + ",\"prev\":\"" + prev + "\"," + toJson().substring(1);
  }

  /** The event as one line of JSON (without its place in the chain). */
  public String toJson() {
    StringBuilder sb = new StringBuilder(256).append('{');
    field(sb, "time", time.toString()).append(',');
    field(sb, "subject", subject).append(',');
    field(sb, "username", username).append(',');
    field(sb, "agent", agent).append(',');
    field(sb, "action", action).append(',');
    field(sb, "query_sha256", queryDigest).append(',');
    sb.append("\"document_ids\":[");
    for (int i = 0; i < documentIds.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      string(sb, documentIds.get(i));
    }
    sb.append("],");
    field(sb, "policy_version", policyVersion).append(',');
    field(sb, "model_id", modelId).append(',');
    field(sb, "status", status);
    if (!detail.isEmpty()) {
      sb.append(',');
      field(sb, "detail", detail);
    }
    return sb.append('}').toString();
  }

  private static StringBuilder field(StringBuilder sb, String name, String value) {
    string(sb, name);
    sb.append(':');
    return string(sb, value == null ? "" : value);
  }

  private static StringBuilder string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"');
  }
}
