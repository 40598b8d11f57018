package dev.anvil.judge;

import java.util.Optional;

/**
 * An item as its annotator sees it: the chunk read now, as the annotator may read it.
 *
 * @param item the item
 * @param title the document's title
 * @param text the chunk text now
 * @param textSha256 SHA-256 of {@code text}: send it back with the label, so that a chunk changed
 *     in the meantime is not judged blind
 * @param mine the caller's own judgment of it, if any
 * @param submitted how many annotators submitted a label
 * @param state open, disputed or final
 */
public record ItemView(
    Item item,
    String title,
    String text,
    String textSha256,
    Optional<Judgment> mine,
    int submitted,
    ItemState state) {}
