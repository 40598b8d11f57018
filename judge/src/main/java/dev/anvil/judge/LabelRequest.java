package dev.anvil.judge;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A label as an annotator sends it. There is no annotator field: who judges is the verified caller.
 *
 * @param itemId the item
 * @param label 0 to 3
 * @param status {@link Status#DRAFT} or {@link Status#SUBMITTED}
 * @param rationale why (at most {@link Judgment#MAX_RATIONALE} characters), or empty
 * @param seenSha256 the {@link ItemView#textSha256} shown, or empty: if given and the chunk has
 *     changed since, the label is refused rather than pinned on a text never seen
 */
public record LabelRequest(
    String itemId, int label, Status status, String rationale, String seenSha256) {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public LabelRequest {
    Objects.requireNonNull(itemId, "itemId");
    checkItemId(itemId);
    checkLabel(label);
    Objects.requireNonNull(status, "status");
    if (status == Status.DISCARDED) {
      throw new InvalidJudgmentException("status", "expected draft or submitted (discard instead)");
    }
    rationale = rationale == null ? "" : rationale;
    checkRationale(rationale);
    seenSha256 = seenSha256 == null ? "" : seenSha256;
    if (!seenSha256.isEmpty() && !SHA256.matcher(seenSha256).matches()) {
      throw new InvalidJudgmentException(
          "seen_sha256", "expected 64 lowercase hex digits, or nothing");
    }
  }

  static void checkItemId(String id) {
    if (id.isBlank() || id.length() > 64) {
      throw new InvalidJudgmentException(
          "item_id", "expected an item id of 1 to 64 characters, was " + id.length());
    }
  }

  static void checkLabel(int label) {
    if (label < Judgment.MIN_LABEL || label > Judgment.MAX_LABEL) {
      throw new InvalidJudgmentException(
          "label",
          "expected " + Judgment.MIN_LABEL + " to " + Judgment.MAX_LABEL + ", was " + label);
    }
  }

  static void checkRationale(String rationale) {
    if (rationale.length() > Judgment.MAX_RATIONALE) {
      throw new InvalidJudgmentException(
          "rationale",
          "at most " + Judgment.MAX_RATIONALE + " characters, was " + rationale.length());
    }
  }
}
