package dev.anvil.context.grpc;

import dev.anvil.context.api.AdminDeniedException;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.InvalidDocumentException;
import dev.anvil.context.api.InvalidRequestException;
import dev.anvil.context.api.ModelDeniedException;
import dev.anvil.context.api.ModelNotFoundException;
import dev.anvil.context.api.SearchCancelledException;
import dev.anvil.rbac.schema.InvalidTagsException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where exceptions become gRPC statuses. Clients branch on the code. The MCP endpoint
 * turns the same statuses into its tool errors, so both say the same thing.
 */
public final class GrpcErrors {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcErrors.class);

  private GrpcErrors() {}

  /** The status of a failed call: the caller's fault named, anything else INTERNAL and logged. */
  public static StatusRuntimeException toStatus(Throwable e) {
    return switch (e) {
      case StatusRuntimeException s -> s;
      case InvalidRequestException r ->
          Status.INVALID_ARGUMENT.withDescription(r.getMessage()).asRuntimeException();
      case InvalidDocumentException d ->
          Status.INVALID_ARGUMENT.withDescription(d.getMessage()).asRuntimeException();
      case InvalidTagsException t ->
          Status.INVALID_ARGUMENT.withDescription(t.getMessage()).asRuntimeException();
      case AdminDeniedException d ->
          Status.PERMISSION_DENIED.withDescription(d.getMessage()).asRuntimeException();
      case ModelDeniedException d ->
          Status.PERMISSION_DENIED.withDescription(d.getMessage()).asRuntimeException();
      case ModelNotFoundException n ->
          Status.NOT_FOUND.withDescription(n.getMessage()).asRuntimeException();
      case SearchCancelledException c -> stopped();
      case dev.anvil.judge.InvalidJudgmentException j ->
          Status.INVALID_ARGUMENT.withDescription(j.getMessage()).asRuntimeException();
      case dev.anvil.judge.NotFoundException n ->
          Status.NOT_FOUND.withDescription(n.getMessage()).asRuntimeException();
      case dev.anvil.judge.DeniedException d ->
          Status.PERMISSION_DENIED.withDescription(d.getMessage()).asRuntimeException();
      case dev.anvil.judge.ConflictException c ->
          Status.FAILED_PRECONDITION.withDescription(c.getMessage()).asRuntimeException();
      case dev.anvil.store.RetriableStoreException r -> {
        LOG.warn("store unavailable: {}", r.getMessage());
        yield Status.UNAVAILABLE
            .withDescription("the store is unavailable; retry")
            .asRuntimeException();
      }
      default -> {
        LOG.error("internal error", e);
        yield Status.INTERNAL
            .withDescription("internal error: " + e.getClass().getSimpleName())
            .asRuntimeException();
      }
    };
  }

  /**
   * What the engine refuses in its present state (a re-embedding under way, no previous model, a
   * model with another tokenizer) as FAILED_PRECONDITION; anything else as {@link #toStatus}.
   */
  static StatusRuntimeException refusedModel(RuntimeException e) {
    return e.getClass() == ContextException.class
        ? Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException()
        : toStatus(e);
  }

  /** DEADLINE_EXCEEDED if the call's deadline passed, else CANCELLED (its client went away). */
  private static StatusRuntimeException stopped() {
    io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
    return deadline != null && deadline.isExpired()
        ? Status.DEADLINE_EXCEEDED
            .withDescription("the deadline passed; the search was stopped")
            .asRuntimeException()
        : Status.CANCELLED
            .withDescription("the call was cancelled; the search was stopped")
            .asRuntimeException();
  }

  static StatusRuntimeException invalid(String field, String message) {
    return Status.INVALID_ARGUMENT.withDescription(field + ": " + message).asRuntimeException();
  }
}
