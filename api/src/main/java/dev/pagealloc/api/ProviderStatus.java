package dev.pagealloc.api;

/**
 * One platform provider found on the module or class path, and whether it runs here.
 *
 * @param name the provider's name, the value {@code pagealloc.platform} selects it by
 * @param supported whether it supports the running platform
 * @param reason why it is or is not supported, in words
 * @param priority higher wins among supported providers
 */
public record ProviderStatus(String name, boolean supported, String reason, int priority) {}
