/**
 * What the console needs from parts it does not depend on: the trainer's jobs ({@link
 * dev.anvil.console.spi.JobSource}), supplied by whoever wires the console (the CLI).
 */
package dev.anvil.console.spi;
