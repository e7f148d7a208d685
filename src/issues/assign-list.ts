/**
 * How many of an organization's members and teams an issue's Assign list offers at most: the card data loader reads
 * no more than this (src/db/issue-card-query.ts) and the card shows no more (src/cards/issue-actions.ts), saying
 * how many exist in all.
 */
export type AssignListCaps = { members: number; teams: number };

export const DEFAULT_ASSIGN_CAPS: AssignListCaps = { members: 100, teams: 50 };
