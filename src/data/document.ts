/**
 * A document: the unit a corpus is split by. Train/validation splits cut
 * between documents, never inside one, so validation text is text the model
 * has never seen any part of.
 */
export interface TextDocument {
  /** Unique within a corpus: a Brown file id ('ca01') or a path relative to the corpus root. */
  readonly id: string;
  /** A label to stratify splits and group statistics by (a Brown genre letter); '' when none. */
  readonly genre: string;
  readonly text: string;
}
