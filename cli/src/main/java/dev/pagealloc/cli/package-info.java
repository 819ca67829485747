/** The {@code pagealloc} command-line tool. */
package dev.pagealloc.cli;
