/**
 * Jobs: the YAML spec, the local job store with each job's state and event history, and the runner
 * that takes one job at a time per device through validation, training and registration.
 */
package dev.anvil.trainer.job;
