package dev.anvil.context.grpc;

import dev.anvil.context.grpc.v1.Agreement;
import dev.anvil.context.grpc.v1.PairAgreement;
import dev.anvil.context.grpc.v1.TagValues;
import dev.anvil.judge.AgreementReport;
import dev.anvil.judge.FinalLabel;
import dev.anvil.judge.Item;
import dev.anvil.judge.ItemView;
import dev.anvil.judge.Judgment;
import dev.anvil.judge.Task;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Judgments' values on the wire (judgments.proto); the CLI prints the same messages. */
public final class JudgmentProtos {
  private JudgmentProtos() {}

  public static dev.anvil.context.grpc.v1.Task task(Task t) {
    return dev.anvil.context.grpc.v1.Task.newBuilder()
        .setId(t.id())
        .setName(t.name())
        .addAllQueries(t.queries())
        .setOverlap(t.overlap())
        .setAdjudicatorRole(t.adjudicatorRole())
        .setCreator(t.creator())
        .setModelId(t.modelId())
        .setPolicyVersion(t.policyVersion())
        .setItems(t.items())
        .build();
  }

  public static dev.anvil.context.grpc.v1.Item item(Item i) {
    return dev.anvil.context.grpc.v1.Item.newBuilder()
        .setId(i.id())
        .setTaskId(i.taskId())
        .setQuery(i.query())
        .setDocumentId(i.documentId())
        .setChunk(i.chunk())
        .setDocumentVersion(i.documentVersion())
        .setRank(i.rank())
        .putAllRanks(i.ranks())
        .setUncertainty(i.value().uncertainty())
        .setDisagreement(i.value().disagreement())
        .setCluster(i.value().cluster())
        .setValue(i.value().score())
        .putAllTags(tags(i.tags()))
        .build();
  }

  public static dev.anvil.context.grpc.v1.ItemView view(ItemView v) {
    var b =
        dev.anvil.context.grpc.v1.ItemView.newBuilder()
            .setItem(item(v.item()))
            .setTitle(v.title())
            .setText(v.text())
            .setTextSha256(v.textSha256())
            .setSubmitted(v.submitted())
            .setState(v.state().name().toLowerCase(Locale.ROOT));
    v.mine().ifPresent(j -> b.setMine(judgment(j)));
    return b.build();
  }

  public static dev.anvil.context.grpc.v1.Judgment judgment(Judgment j) {
    return dev.anvil.context.grpc.v1.Judgment.newBuilder()
        .setId(j.id())
        .setItemId(j.itemId())
        .setTaskId(j.taskId())
        .setQuery(j.query())
        .setDocumentId(j.documentId())
        .setChunk(j.chunk())
        .setDocumentVersion(j.documentVersion())
        .setTextSha256(j.textSha256())
        .setLabel(j.label())
        .setAnnotator(j.annotator().subject())
        .addAllAnnotatorRoles(j.annotator().roles())
        .setSource(j.source().id())
        .setStatus(j.status().id())
        .setRationale(j.rationale())
        .setModelId(j.modelId())
        .setResultPolicyVersion(j.resultPolicyVersion())
        .setRank(j.rank())
        .putAllTags(tags(j.tags()))
        .setPolicyVersion(j.policyVersion())
        .setCreatedAt(j.createdAt().toString())
        .setUpdatedAt(j.updatedAt().toString())
        .build();
  }

  public static dev.anvil.context.grpc.v1.FinalLabel finalLabel(FinalLabel f) {
    return dev.anvil.context.grpc.v1.FinalLabel.newBuilder()
        .setItemId(f.itemId())
        .setTaskId(f.taskId())
        .setQuery(f.query())
        .setDocumentId(f.documentId())
        .setChunk(f.chunk())
        .setTextSha256(f.textSha256())
        .setLabel(f.label())
        .setBasis(f.basis().name().toLowerCase(Locale.ROOT))
        .addAllAnnotators(f.annotators())
        .putAllTags(tags(f.tags()))
        .build();
  }

  public static Agreement agreement(AgreementReport r) {
    var b =
        Agreement.newBuilder()
            .setTaskId(r.taskId())
            .setOverlap(r.overlap())
            .setItems(r.items())
            .setComplete(r.complete())
            .setAgreed(r.agreed())
            .setDisputed(r.disputed())
            .setAdjudicated(r.adjudicated());
    r.fleiss().ifPresent(b::setFleiss);
    for (AgreementReport.Pair p : r.pairs()) {
      var pb = PairAgreement.newBuilder().setA(p.a()).setB(p.b()).setItems(p.items());
      p.cohen().ifPresent(pb::setCohen);
      b.addPairs(pb);
    }
    return b.build();
  }

  private static Map<String, TagValues> tags(Map<String, Object> tags) {
    Map<String, TagValues> out = new LinkedHashMap<>();
    new java.util.TreeMap<>(tags).forEach((k, v) -> out.put(k, ProtoMapping.values(v)));
    return out;
  }
}
