package dev.anvil.console.spi;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The trainer's jobs as the signed-in user may see them. The console hands an implementation a way
 * to get a token of that user for the trainer ({@code tokenFor}, a token exchange): the browser's
 * session never leaves the console, and no token is forwarded.
 */
public interface JobSource {
  /** No trainer configured: the console says so. */
  JobSource NONE =
      new JobSource() {
        @Override
        public Optional<String> trainer() {
          return Optional.empty();
        }

        @Override
        public List<Job> jobs(Function<String, String> tokenFor) {
          return List.of();
        }
      };

  /** The trainer's address, or empty when none is configured. */
  Optional<String> trainer();

  /**
   * The jobs the user may see, oldest first.
   *
   * @param tokenFor a token of the signed-in user for the given audience
   * @throws RuntimeException if the trainer cannot be reached or refuses (the message is shown)
   */
  List<Job> jobs(Function<String, String> tokenFor);

  /**
   * A job as the console lists it.
   *
   * @param id the job id
   * @param name its name
   * @param owner who submitted it
   * @param task its training task
   * @param state queued, running, succeeded, failed or cancelled
   * @param model the model it produced, or empty
   * @param detail the latest message (an error, progress), or empty
   */
  record Job(
      String id,
      String name,
      String owner,
      String task,
      String state,
      String model,
      String detail) {
    public Job {
      Objects.requireNonNull(id, "id");
    }
  }
}
