/**
 * The trainer as a service: one {@link dev.anvil.trainer.service.Trainer} interface for submitting
 * and watching jobs, reading models and promoting them, implemented over the local job store with
 * the policies' decisions ({@link dev.anvil.trainer.service.LocalTrainer}) and, in {@code
 * dev.anvil.trainer.grpc}, served and called over gRPC, within the service's {@link
 * dev.anvil.trainer.service.TrainerLimits} (jobs queued or running counted by a {@link
 * dev.anvil.trainer.service.JobQuota}).
 */
package dev.anvil.trainer.service;
