package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.context.judging.EngineCorpus;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.judge.Judging;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code anvil judge} in the terminal: on the local index and store as a named principal, and
 * against a running server with a token of the development issuer.
 */
@org.junit.jupiter.api.Tag("heavy")
class JudgeCommandTest {
  @RegisterExtension final LocalData data = new LocalData();

  private PolicyCommandTest.Run anvil(String... args) {
    return data.anvil(args);
  }

  private static final Pattern ITEM = Pattern.compile("(it-[0-9a-f]{32})  value [0-9.]+  (\\S+)#");

  private static List<String[]> items(String out) {
    List<String[]> found = new ArrayList<>();
    Matcher m = ITEM.matcher(out);
    while (m.find()) {
      found.add(new String[] {m.group(1), m.group(2)});
    }
    return found;
  }

  private static String sha(String showOut) {
    Matcher m = Pattern.compile("sha256:   ([0-9a-f]{64})").matcher(showOut);
    assertThat(m.find()).as(showOut).isTrue();
    return m.group(1);
  }

  @Test
  void annotatorsJudgeLocallyAndAnAdjudicatorSettlesTheirDisagreement() {
    Path corpus = PolicyCommandTest.examplePack().resolveSibling("demo-corpus");
    // The HR and legal documents are refused (their sources have connectors of their own): exit 1.
    anvil("ingest", corpus.toString(), "--as", "kafka-connector");
    PolicyCommandTest.Run task =
        anvil(
            "judge",
            "task",
            "kernel",
            "--query",
            "how do we upgrade the kernel",
            "--query",
            "search outage",
            "--overlap",
            "2",
            "--depth",
            "5",
            "--as",
            "mia");
    assertThat(task.exit()).as(task.err()).isZero();
    assertThat(task.out()).startsWith("task kernel: ").contains("from 2 queries (overlap 2");

    PolicyCommandTest.Run queue = anvil("judge", "queue", "kernel", "--as", "ada");
    assertThat(queue.exit()).as(queue.err()).isZero();
    List<String[]> offered = items(queue.out());
    assertThat(offered).isNotEmpty();
    // Engineering's documents only (pub-security is public, of engineering): ada reads the press
    // release about the kernel too, but judges only her department's.
    assertThat(offered).allSatisfy(i -> assertThat(i[1]).matches("eng-.*|pub-security"));
    String item = offered.getFirst()[0];

    PolicyCommandTest.Run show = anvil("judge", "show", item, "--as", "ada");
    assertThat(show.exit()).as(show.err()).isZero();
    assertThat(show.out()).contains("query:    ").contains("text:     ");
    PolicyCommandTest.Run ada =
        anvil(
            "judge",
            "label",
            item,
            "3",
            "--seen",
            sha(show.out()),
            "--rationale",
            "spot on",
            "--as",
            "ada");
    assertThat(ada.exit()).as(ada.err()).isZero();
    assertThat(ada.out()).startsWith("labelled " + item + " 3 (submitted) as ada: ");
    assertThat(anvil("judge", "label", item, "0", "--as", "andy").exit()).isZero();

    PolicyCommandTest.Run disputes = anvil("judge", "disputes", "kernel", "--as", "judy");
    assertThat(items(disputes.out())).extracting(i -> i[0]).containsExactly(item);
    PolicyCommandTest.Run notJudy = anvil("judge", "disputes", "kernel", "--as", "ada");
    assertThat(notJudy.exit()).isEqualTo(Main.FAILED);
    assertThat(notJudy.err()).contains("needs the role 'adjudicator'");
    PolicyCommandTest.Run settled = anvil("judge", "adjudicate", item, "2", "--as", "judy");
    assertThat(settled.out())
        .isEqualTo(
            "final " + item + " 2 (adjudicated) by ada, andy, judy" + System.lineSeparator());

    PolicyCommandTest.Run agreement = anvil("judge", "agreement", "kernel", "--as", "mia");
    assertThat(agreement.out())
        .contains("1 complete (overlap 2), 0 agreed, 0 disputed, 1 adjudicated")
        .contains("ada and andy: 1 items, Cohen's kappa");

    // The final label as a snapshot: for the task's creator (and admins), never over another.
    PolicyCommandTest.Run snap =
        anvil(
            "judge", "snapshot", "kernel", "--out", data.resolve("snap").toString(), "--as", "mia");
    assertThat(snap.exit()).as(snap.err()).isZero();
    assertThat(snap.out())
        .startsWith("snapshot js-")
        .contains("of task kernel: 1 final labels (0 agreed, 1 adjudicated) of 1 queries")
        .contains("3 judgments by 3 annotators");
    var written = dev.anvil.eval.snapshot.JudgmentSnapshot.read(data.resolve("snap"));
    assertThat(written.examples()).hasSize(1);
    assertThat(written.examples().getFirst().label()).isEqualTo(2);
    assertThat(snap.out()).contains(written.id());
    PolicyCommandTest.Run again =
        anvil(
            "judge", "snapshot", "kernel", "--out", data.resolve("snap").toString(), "--as", "mia");
    assertThat(again.exit()).isEqualTo(Main.USAGE);
    assertThat(again.err()).contains("not empty");
    PolicyCommandTest.Run notCreator =
        anvil(
            "judge", "snapshot", "kernel", "--out", data.resolve("ada").toString(), "--as", "ada");
    assertThat(notCreator.exit()).isEqualTo(Main.FAILED);
    assertThat(notCreator.err()).contains("is for its creator and administrators");
    assertThat(data.resolve("ada")).doesNotExist();

    PolicyCommandTest.Run hidden =
        anvil("judge", "show", "it-00000000000000000000000000000000", "--as", "ada");
    assertThat(hidden.exit()).isEqualTo(Main.FAILED);
    assertThat(hidden.err())
        .contains("no item 'it-00000000000000000000000000000000' that you may judge");
  }

  @Test
  void theSameCommandsWorkAgainstAServer() throws Exception {
    Path corpus = PolicyCommandTest.examplePack().resolveSibling("demo-corpus");
    // The HR and legal documents are refused (their sources have connectors of their own): exit 1.
    anvil("ingest", corpus.toString(), "--as", "kafka-connector");
    PolicyPack pack = new PolicyPack(PolicyCommandTest.examplePack());
    try (OnnxEmbedder embedder = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 1);
        ContextEngine engine =
            ContextEngine.open(data.resolve("index"), PolicyStore.open(pack), embedder);
        Store store = Store.open(StoreConfig.embedded(data.dir()));
        AuditLog audit = AuditLog.open(data.resolve("audit.jsonl"));
        GrpcServer server =
            ContextServer.start(
                "127.0.0.1",
                0,
                dev.anvil.rpc.ServerTransport.LOOPBACK_PLAINTEXT,
                engine,
                DevTokenIssuer.openOrCreate(
                        data.resolve("dev-issuer/signing-key.jwk.json"), Clock.systemUTC())
                    .verifier(),
                audit,
                dev.anvil.context.api.Limits.DEFAULTS,
                new dev.anvil.context.grpc.Admission(dev.anvil.context.api.Limits.DEFAULTS),
                io.opentelemetry.api.OpenTelemetry.noop(),
                java.util.Optional.of(
                    Judging.open(store, new EngineCorpus(engine), Clock.systemUTC(), false)))) {
      String at = "127.0.0.1:" + server.port();
      PolicyCommandTest.Run task =
          anvil(
              "judge",
              "task",
              "remote",
              "--query",
              "kernel upgrade",
              "--server",
              at,
              "--as",
              "mia");
      assertThat(task.exit()).as(task.err()).isZero();
      PolicyCommandTest.Run queue =
          anvil("judge", "queue", "remote", "--server", at, "--as", "ada");
      String item = items(queue.out()).getFirst()[0];
      PolicyCommandTest.Run label =
          anvil("judge", "label", item, "2", "--draft", "--server", at, "--as", "ada");
      assertThat(label.exit()).as(label.err()).isZero();
      assertThat(label.out()).startsWith("labelled " + item + " 2 (draft) as ada: ");
      PolicyCommandTest.Run denied =
          anvil("judge", "label", item, "2", "--server", at, "--as", "alice");
      assertThat(denied.exit()).isEqualTo(Main.FAILED);
      assertThat(denied.err()).contains("PERMISSION_DENIED");
    }
  }
}
