/**
 * The software memory tagger: {@link dev.pagealloc.tagging.SoftwareTagSpace} keeps a 4-bit tag per
 * 16-byte granule in shadow memory (pagealloc regions, committed as tags are set), and
 * {@link dev.pagealloc.tagging.TaggedRegion} checks every access through a tagged pointer against it.
 * {@link dev.pagealloc.tagging.TagSpaces} gives a region the tag space its applied tagging asks for.
 */
package dev.pagealloc.tagging;
