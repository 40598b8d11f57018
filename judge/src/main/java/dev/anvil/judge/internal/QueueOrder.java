package dev.anvil.judge.internal;

import dev.anvil.judge.Item;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The order of a queue: the most valuable item first, and alike items spread out: each pick scores
 * {@code value − }{@value #DIVERSITY}{@code × items already picked from its group}. So a second
 * item of a group waits for the other groups' valuable items, but not for items worth next to
 * nothing (values are between 0 and 1). Ties go to the item id, so the same state gives the same
 * queue. Stateless.
 */
public final class QueueOrder {
  /** What each item already picked from a group takes off the next one's value. */
  static final double DIVERSITY = 0.5;

  private QueueOrder() {}

  /** At most {@code max} of {@code candidates}, in queue order. */
  public static List<Item> select(List<Item> candidates, int max) {
    List<Item> left = new ArrayList<>(candidates);
    left.sort(
        Comparator.comparingDouble((Item i) -> i.value().score())
            .reversed()
            .thenComparing(Item::id));
    Map<Integer, Integer> picked = new HashMap<>();
    List<Item> out = new ArrayList<>();
    while (out.size() < max && !left.isEmpty()) {
      int best = 0;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < left.size(); i++) {
        Item it = left.get(i);
        double s = it.value().score() - DIVERSITY * picked.getOrDefault(it.value().cluster(), 0);
        if (s > bestScore) { // strictly: the earlier (better, then smaller id) wins ties
          best = i;
          bestScore = s;
        }
      }
      Item chosen = left.remove(best);
      picked.merge(chosen.value().cluster(), 1, Integer::sum);
      out.add(chosen);
    }
    return out;
  }
}
