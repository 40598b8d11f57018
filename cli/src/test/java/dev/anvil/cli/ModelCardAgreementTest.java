package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.ModelNotFoundException;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.eval.BeirDataset;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.promote.GateDecision;
import dev.anvil.trainer.promote.GateRules;
import dev.anvil.trainer.promote.PromotionGate;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's gate and the context engine read a model card through the one reader, so they see
 * the same lineage, set tags as lists: the lineage the gate decides on and audits is the one on
 * which the engine lets each principal switch to the model, or not.
 */
class ModelCardAgreementTest {
  static final int MAX_TOKENS = 64;

  @TempDir Path dir;

  private Path candidate(Path base, String name, Map<String, Object> lineage) throws Exception {
    Path to = Files.createDirectories(dir.resolve("models").resolve(name));
    try (var files = Files.list(base)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    Map<String, Object> card = new LinkedHashMap<>();
    card.put("model", name);
    card.put("job", name);
    card.put("task", "embedding");
    card.put("owner", "mia");
    card.put("created", "2026-12-06T10:00:00Z");
    card.put("lineage", lineage);
    ModelCard.of(card).write(to);
    return to;
  }

  @Test
  void theGateAndTheEngineDecideOnTheSameLineage() throws Exception {
    Path base = TinyModels.huggingFaceDir(dir.resolve("base"));
    try (EncoderModel m = EncoderModel.load(base, Device.cpu(), MAX_TOKENS)) {
      m.exportOnnx(base, Map.of());
    }
    PolicyStore policies = PolicyStore.open(TestPacks.example());
    PolicySet set = policies.current();
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    BeirDataset eval =
        BeirDataset.load(TinyModels.beir(dir.resolve("eval"), TinyModels.pairs()), "dev");
    GateRules rules =
        GateRules.parse(
            "gate.yaml",
            "min_margin: 0\nmax_lineage: {classification: restricted}\n",
            set.schema());
    Path audit = dir.resolve("gate.jsonl");
    PromotionGate gate = new PromotionGate(set.schema(), audit);

    Map<String, Map<String, Object>> cards =
        Map.of(
            "engineering",
            Map.of("classification", "internal", "department", List.of("engineering")),
            "compensation",
            Map.of(
                "classification",
                "confidential",
                "department",
                List.of("hr", "finance"),
                "topics",
                List.of("compensation")));
    try (OnnxEmbedder embedder = OnnxEmbedder.open(ModelSource.directory(base), 1, MAX_TOKENS, 32);
        ContextEngine engine =
            ContextEngine.open(
                dir.resolve("index"),
                policies,
                embedder,
                d -> OnnxEmbedder.open(ModelSource.directory(d), 1, MAX_TOKENS, 32),
                ModelRegistry.at(dir.resolve("models")),
                OpenTelemetry.noop())) {
      int permitted = 0;
      int denied = 0;
      for (var c : cards.entrySet()) {
        Path model = candidate(base, c.getKey(), c.getValue());
        GateDecision d =
            gate.decide(model, base, eval, eval, rules, new PromotionGate.Asked("test", "v"));

        // The gate sees, and audits, the card's lineage as it is: set tags as lists.
        assertThat(d.candidateLineage()).isEqualTo(ModelCard.read(model).orElseThrow().lineage());
        JsonObject line =
            JsonParser.parseString(Files.readAllLines(audit).getLast())
                .getAsJsonObject()
                .getAsJsonObject("data");
        assertThat(line.getAsJsonObject("candidate_lineage").get("department").isJsonArray())
            .as("department in the gate's audit line")
            .isTrue();

        for (String name : people.names()) {
          Principal p = people.find(name).orElseThrow();
          boolean gateSide =
              set.decide(p, Action.PROMOTE, set.schema().validate(d.candidateLineage()))
                  .permitted();
          boolean engineSide;
          try {
            engine.switchTo(p, c.getKey(), 0, false, WriteAudit.NONE).reembedding().cancel();
            engineSide = true;
          } catch (ModelNotFoundException e) {
            engineSide = false; // not promotable by p: it reads as absent
          } catch (dev.anvil.context.api.ContextException e) {
            // Authorised, then refused for another reason (the same weights already serve).
            engineSide = true;
          }
          assertThat(engineSide).as("%s may promote %s", name, c.getKey()).isEqualTo(gateSide);
          if (gateSide) {
            permitted++;
          } else {
            denied++;
          }
        }
      }
      assertThat(permitted).as("some principal may promote").isPositive();
      assertThat(denied).as("some principal may not").isPositive();
    }
  }
}
