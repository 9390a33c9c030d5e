/** Rows of the submissions area, declared once; every query of the area returns these shapes. */

export interface SubmissionRow {
  id: number;
  collaboration_id: number;
  author_id: number;
  /** The author's handle. */
  author: string;
  title: string;
  description: string;
  levers: string[];
  /** Declared parents, ascending. */
  parents: number[];
  bundle_sha256: string;
  file_count: number;
  total_bytes: number;
  fingerprint: string;
  duplicate_of: number | null;
  staged: boolean;
  invalidated_at: Date | null;
  invalidated_reason: string | null;
  created_at: Date;
}

/** A file of a bundle, or a large artifact placed at a path of the submission. */
export interface ContentRow {
  path: string;
  sha256: string;
  size: number;
  executable: boolean;
}

/** An artifact as one collaboration sees it. */
export interface ArtifactRow {
  sha256: string;
  size_bytes: number;
  media_type: string;
  /** Handle of whoever first uploaded it to this collaboration. */
  uploaded_by: string | null;
  created_at: Date;
}

export interface UploadRow {
  id: string;
  participant_id: number;
  media_type: string;
  max_bytes: number;
  completed_sha256: string | null;
  created_at: Date;
}

/** Another submission in short, for duplicate and parent suggestions. */
export interface SubmissionLabelRow {
  id: number;
  title: string;
  author: string;
}
