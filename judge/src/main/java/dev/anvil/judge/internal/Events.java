package dev.anvil.judge.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anvil.events.EventEnvelope;
import dev.anvil.judge.FinalLabel;
import dev.anvil.judge.Judgment;
import dev.anvil.judge.spi.JudgmentEvents.Event;
import java.time.Instant;

/**
 * Judgment events in Anvil's envelope (docs/events.md): {@code anvil.judgment.labelled}, {@code
 * anvil.judgment.adjudicated}. Each carries the chunk's tags, so a consumer building a data set
 * knows its classification; never the chunk's text.
 */
public final class Events {
  /** The producer named in every envelope. */
  public static final String SOURCE = "anvil-judgments";

  private Events() {}

  /** A judgment saved (a draft, a submission, a discard). */
  public static Event labelled(Judgment j) {
    JsonObject d = new JsonObject();
    d.addProperty("judgment_id", j.id());
    d.addProperty("item_id", j.itemId());
    d.addProperty("task_id", j.taskId());
    d.addProperty("query", j.query());
    d.addProperty("document_id", j.documentId());
    d.addProperty("chunk", j.chunk());
    d.addProperty("document_version", j.documentVersion());
    d.addProperty("text_sha256", j.textSha256());
    d.addProperty("label", j.label());
    d.addProperty("annotator", j.annotator().subject());
    JsonArray roles = new JsonArray();
    j.annotator().roles().forEach(roles::add);
    d.add("annotator_roles", roles);
    d.addProperty("source", j.source().id());
    d.addProperty("status", j.status().id());
    d.addProperty("rationale", j.rationale());
    d.addProperty("model_id", j.modelId());
    d.addProperty("result_policy_version", j.resultPolicyVersion());
    d.addProperty("rank", j.rank());
    d.add("tags", Json.gson().toJsonTree(j.tags()));
    d.addProperty("policy_version", j.policyVersion());
    return event("anvil.judgment.labelled", j.itemId(), j.updatedAt(), d);
  }

  /** An item's label settled by an adjudicator. */
  public static Event adjudicated(
      FinalLabel f, String adjudicator, String policyVersion, Instant at) {
    JsonObject d = new JsonObject();
    d.addProperty("item_id", f.itemId());
    d.addProperty("task_id", f.taskId());
    d.addProperty("query", f.query());
    d.addProperty("document_id", f.documentId());
    d.addProperty("chunk", f.chunk());
    d.addProperty("text_sha256", f.textSha256());
    d.addProperty("label", f.label());
    d.addProperty("adjudicator", adjudicator);
    d.add("tags", Json.gson().toJsonTree(f.tags()));
    d.addProperty("policy_version", policyVersion);
    return event("anvil.judgment.adjudicated", f.itemId(), at, d);
  }

  private static Event event(String type, String key, Instant at, JsonObject data) {
    String id = Ids.random("ev-");
    return new Event(id, key, new EventEnvelope(id, type, at, SOURCE, data).toJson());
  }
}
