/**
 * Fine-tuning jobs with DJL (PyTorch engine) on real pretrained weights, governed by rbac: a job
 * reads only examples its owner may {@code train} on, and its model carries the highest
 * classification of its data.
 */
package dev.anvil.trainer;
