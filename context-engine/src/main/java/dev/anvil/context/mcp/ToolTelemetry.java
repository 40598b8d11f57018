package dev.anvil.context.mcp;

import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.List;
import java.util.function.Supplier;

/**
 * One server span and one latency measurement per MCP tool call, as the gRPC service has per call
 * (named by OpenTelemetry's MCP conventions: {@code mcp.method.name}, {@code gen_ai.tool.name}).
 * The engine's own spans ({@code anvil.search}) are its children. Never the arguments or the
 * caller: the audit log is the place for who asked.
 */
final class ToolTelemetry {
  static final AttributeKey<String> METHOD = AttributeKey.stringKey("mcp.method.name");
  static final AttributeKey<String> TOOL = AttributeKey.stringKey("gen_ai.tool.name");
  static final AttributeKey<String> ERROR = AttributeKey.stringKey("error.type");

  private final Tracer tracer;
  private final DoubleHistogram duration;

  ToolTelemetry(OpenTelemetry otel) {
    this.tracer = otel.getTracer("dev.anvil.context.mcp");
    this.duration =
        otel.getMeter("dev.anvil.context.mcp")
            .histogramBuilder("mcp.server.operation.duration")
            .setUnit("s")
            .setDescription("MCP tool call latency by tool and outcome")
            .setExplicitBucketBoundariesAdvice(
                List.of(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0))
            .build();
  }

  CallToolResult call(String tool, Supplier<CallToolResult> body) {
    long start = System.nanoTime();
    Attributes names = Attributes.of(METHOD, "tools/call", TOOL, tool);
    Span span =
        tracer
            .spanBuilder("tools/call " + tool)
            .setSpanKind(SpanKind.SERVER)
            .setAllAttributes(names)
            .startSpan();
    CallToolResult result = null;
    try (Scope scope = span.makeCurrent()) {
      result = body.get();
      return result;
    } finally {
      boolean failed = result == null || Boolean.TRUE.equals(result.isError());
      Attributes measured = failed ? names.toBuilder().put(ERROR, "tool_error").build() : names;
      if (failed) {
        span.setAttribute(ERROR, "tool_error");
        span.setStatus(StatusCode.ERROR);
      }
      span.end();
      duration.record((System.nanoTime() - start) / 1e9, measured);
    }
  }
}
