package dev.anvil.judge;

import java.util.Objects;

/**
 * An adjudicator's decision on a disputed item, as sent. Who decides is the verified caller.
 *
 * @param itemId the item
 * @param label 0 to 3
 * @param rationale why (bounded as a judgment's), or empty
 * @param seenSha256 the text shown, or empty (see {@link LabelRequest#seenSha256})
 */
public record AdjudicateRequest(String itemId, int label, String rationale, String seenSha256) {
  public AdjudicateRequest {
    Objects.requireNonNull(itemId, "itemId");
    // The same bounds as a label's.
    LabelRequest checked = new LabelRequest(itemId, label, Status.SUBMITTED, rationale, seenSha256);
    rationale = checked.rationale();
    seenSha256 = checked.seenSha256();
  }
}
