import type { PageCategory } from '@agora/core';

/** Row types of the knowledge-base tables as the queries in this folder return them. */
export interface PageRow {
  id: number;
  collaboration_id: number;
  slug: string;
  title: string;
  category: PageCategory;
  current_revision: number;
  created_by_handle: string;
  created_at: Date;
  updated_by_handle: string;
  updated_at: Date;
}

/** A revision without its body (lists); `bytes` is the body's size. */
export interface PageRevisionInfoRow {
  number: number;
  author_handle: string;
  title: string;
  category: PageCategory;
  summary: string;
  reverted_from: number | null;
  bytes: number;
  created_at: Date;
}

export interface PageRevisionRow extends PageRevisionInfoRow {
  body: string;
}

export interface PageContent {
  title: string;
  category: PageCategory;
  body: string;
  summary: string;
  revertedFrom?: number;
}
