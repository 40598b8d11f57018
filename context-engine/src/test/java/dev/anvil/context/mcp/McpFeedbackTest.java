package dev.anvil.context.mcp;

import static dev.anvil.context.mcp.McpHttpServerTest.call;
import static dev.anvil.context.mcp.McpHttpServerTest.structured;
import static dev.anvil.context.mcp.McpHttpServerTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.judge.ItemView;
import dev.anvil.judge.Source;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code submit_feedback} over Streamable HTTP with the SDK's client: it goes through {@link
 * dev.anvil.judge.Judging#feedback} (read and judge decided by the policy), a hidden chunk answers
 * as an absent one, and nobody gives feedback as someone else.
 */
class McpFeedbackTest {
  @TempDir static Path data;
  static McpFixture mcp;

  @BeforeAll
  static void start() {
    mcp = McpFixture.start(data, McpHttpServerTest.LIMITS);
  }

  @AfterAll
  static void stop() {
    mcp.close();
  }

  @Test
  void aThumbIsAClickAndAGradeAnExpertLabelOfTheSameJudgment() {
    try (McpSyncClient ada = mcp.client(mcp.token("ada"))) {
      CallToolResult up =
          call(
              ada,
              "submit_feedback",
              Map.of(
                  "query", "kernel upgrade", "document_id", "eng-1", "chunk", 0, "thumbs", "up"));
      assertThat(up.isError()).as(text(up)).isFalse();
      assertThat(structured(up))
          .containsEntry("label", 2)
          .containsEntry("source", "click")
          .containsEntry("status", "submitted");
      String itemId = (String) structured(up).get("item_id");
      String judgmentId = (String) structured(up).get("judgment_id");

      CallToolResult graded =
          call(
              ada,
              "submit_feedback",
              Map.of(
                  "query",
                  "kernel upgrade",
                  "document_id",
                  "eng-1",
                  "chunk",
                  0,
                  "label",
                  3,
                  "rationale",
                  "the runbook itself"));
      assertThat(structured(graded))
          .containsEntry("judgment_id", judgmentId)
          .containsEntry("item_id", itemId)
          .containsEntry("label", 3)
          .containsEntry("source", "expert");

      // Stored where the JudgmentService keeps labels, as ada's.
      ItemView view = mcp.judging.item(mcp.people.find("ada").orElseThrow(), itemId);
      assertThat(view.item().documentId()).isEqualTo("eng-1");
      assertThat(view.item().query()).isEqualTo("kernel upgrade");
      assertThat(view.mine()).hasValueSatisfying(j -> assertThat(j.label()).isEqualTo(3));
      assertThat(view.mine().orElseThrow().source()).isEqualTo(Source.EXPERT);
      assertThat(view.mine().orElseThrow().annotator().subject()).isEqualTo("ada");
      assertThat(mcp.auditLines())
          .anySatisfy(
              l ->
                  assertThat(l)
                      .contains("\"subject\":\"ada\"")
                      .contains("judge_feedback")
                      .contains("eng-1"));
    }
  }

  @Test
  void aChunkTheCallerMayNotReadAnswersExactlyAsAnAbsentOne() {
    try (McpSyncClient ada = mcp.client(mcp.token("ada"))) {
      CallToolResult hidden =
          call(
              ada,
              "submit_feedback",
              Map.of("query", "salary", "document_id", "hr-1", "chunk", 0, "thumbs", "down"));
      CallToolResult absent =
          call(
              ada,
              "submit_feedback",
              Map.of("query", "salary", "document_id", "hr-9", "chunk", 0, "thumbs", "down"));
      assertThat(hidden.isError()).isTrue();
      assertThat(text(hidden)).isEqualTo("no chunk 'hr-1#0' that you may read");
      assertThat(hidden.toString().replace("hr-1", "ID"))
          .isEqualTo(absent.toString().replace("hr-9", "ID"));
    }
  }

  @Test
  void aReaderWhoMayNotJudgeIsDeniedNamingThePolicy() {
    try (McpSyncClient alice = mcp.client(mcp.token("alice"))) {
      CallToolResult r =
          call(
              alice,
              "submit_feedback",
              Map.of("query", "kernel", "document_id", "eng-1", "chunk", 0, "thumbs", "up"));
      assertThat(r.isError()).isTrue();
      assertThat(text(r)).isEqualTo("feedback on 'eng-1#0' is denied by policy default-deny");
    }
  }

  @Test
  void nobodyGivesFeedbackAsAnotherPrincipalNorHalfOfOne() {
    try (McpSyncClient ada = mcp.client(mcp.token("ada"))) {
      CallToolResult asAndy =
          call(
              ada,
              "submit_feedback",
              Map.of(
                  "query",
                  "kernel",
                  "document_id",
                  "eng-1",
                  "chunk",
                  0,
                  "thumbs",
                  "up",
                  "annotator",
                  "andy"));
      assertThat(asAndy.isError()).isTrue();
      assertThat(text(asAndy)).contains("annotator").contains("not defined in the schema");

      CallToolResult both =
          call(
              ada,
              "submit_feedback",
              Map.of(
                  "query",
                  "kernel",
                  "document_id",
                  "eng-1",
                  "chunk",
                  0,
                  "thumbs",
                  "up",
                  "label",
                  1));
      assertThat(text(both))
          .isEqualTo("arguments: give exactly one of thumbs (up, down) or label (0 to 3)");
      CallToolResult neither =
          call(
              ada,
              "submit_feedback",
              Map.of("query", "kernel", "document_id", "eng-1", "chunk", 0));
      assertThat(text(neither)).startsWith("arguments: give exactly one");
      CallToolResult badLabel =
          call(
              ada,
              "submit_feedback",
              Map.of("query", "kernel", "document_id", "eng-1", "chunk", 0, "label", 7));
      assertThat(text(badLabel)).startsWith("label: ").contains("3");
    }
  }
}
