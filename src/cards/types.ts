/**
 * Types for the card builders: the Adaptive Card subset we emit (so builders are checked by the compiler,
 * and the schema tests check the rest) and the plain-data inputs the builders take.
 *
 * Inputs are plain data gathered by the caller (handlers, delivery): no db rows with hidden getters, no env,
 * no clock. Times are epoch milliseconds.
 */
import type {
  IssueMetadata,
  IssueStatus,
  IssueSubstatus,
  IgnoreConditions,
  Resolution,
} from "../db/schema";

// ---------------------------------------------------------------------------------------------------------
// Adaptive Card 1.5 subset
// ---------------------------------------------------------------------------------------------------------

export type Spacing = "None" | "Small" | "Default" | "Medium" | "Large" | "ExtraLarge" | "Padding";
export type TextColor = "Default" | "Dark" | "Light" | "Accent" | "Good" | "Warning" | "Attention";
export type ContainerStyle = "default" | "emphasis" | "good" | "attention" | "warning" | "accent";

export type TextBlock = {
  type: "TextBlock";
  text: string;
  wrap?: boolean;
  size?: "Small" | "Default" | "Medium" | "Large" | "ExtraLarge";
  weight?: "Lighter" | "Default" | "Bolder";
  color?: TextColor;
  isSubtle?: boolean;
  maxLines?: number;
  spacing?: Spacing;
  separator?: boolean;
  horizontalAlignment?: "Left" | "Center" | "Right";
  id?: string;
};

export type Fact = { title: string; value: string };
export type FactSet = { type: "FactSet"; facts: Fact[]; spacing?: Spacing; separator?: boolean; id?: string };

export type Column = {
  type: "Column";
  items: AdaptiveElement[];
  width?: "auto" | "stretch" | `${number}px` | number;
  verticalContentAlignment?: "Top" | "Center" | "Bottom";
  spacing?: Spacing;
};
export type ColumnSet = { type: "ColumnSet"; columns: Column[]; spacing?: Spacing; separator?: boolean; id?: string };

export type Container = {
  type: "Container";
  items: AdaptiveElement[];
  style?: ContainerStyle;
  bleed?: boolean;
  spacing?: Spacing;
  separator?: boolean;
  id?: string;
};

export type ActionSet = { type: "ActionSet"; actions: AdaptiveAction[]; spacing?: Spacing; id?: string };

export type InputChoice = { title: string; value: string };
export type ChoiceSetInput = {
  type: "Input.ChoiceSet";
  id: string;
  choices: InputChoice[];
  value?: string;
  style?: "compact" | "expanded" | "filtered";
  placeholder?: string;
  label?: string;
  isRequired?: boolean;
  errorMessage?: string;
  wrap?: boolean;
  spacing?: Spacing;
};

export type ToggleInput = {
  type: "Input.Toggle";
  id: string;
  title: string;
  value?: string;
  valueOn?: string;
  valueOff?: string;
  wrap?: boolean;
  spacing?: Spacing;
  separator?: boolean;
};

export type AdaptiveElement = TextBlock | FactSet | ColumnSet | Container | ActionSet | ChoiceSetInput | ToggleInput;

export type ActionStyle = "default" | "positive" | "destructive";

/** The data every issue-card Action.Submit carries (the wire format: see action-payload.ts). */
export type SubmitData = { payload: ActionPayloadWire };

export type SubmitAction = { type: "Action.Submit"; title: string; data: SubmitData; style?: ActionStyle; id?: string };
/** An Action.Submit of the chat's own cards (subscriptions list, notification settings). */
export type SettingsSubmitAction = { type: "Action.Submit"; title: string; data: SettingsSubmitData; style?: ActionStyle; id?: string };
export type OpenUrlAction = { type: "Action.OpenUrl"; title: string; url: string; style?: ActionStyle; id?: string };
export type ShowCardAction = { type: "Action.ShowCard"; title: string; card: AdaptiveCard; style?: ActionStyle; id?: string };
export type AdaptiveAction = SubmitAction | SettingsSubmitAction | OpenUrlAction | ShowCardAction;

export type AdaptiveCard = {
  type: "AdaptiveCard";
  /** Only on the root card; a ShowCard's card has none. */
  $schema?: string;
  version?: string;
  body: AdaptiveElement[];
  actions?: AdaptiveAction[];
  fallbackText?: string;
  /** Teams extension (not in the official schema): full-width cards. */
  msteams?: { width: "Full" };
};

/** A Bot Framework message activity carrying one Adaptive Card. */
export type CardMessage = {
  type: "message";
  summary: string;
  attachments: [{ contentType: "application/vnd.microsoft.card.adaptive"; content: AdaptiveCard }];
};

// ---------------------------------------------------------------------------------------------------------
// Wire format of card actions (Sentry's, kept so parsers and Teams clients agree)
// ---------------------------------------------------------------------------------------------------------

/** Wire action types: RESOLVE="1", IGNORE="2", ASSIGN="3", UNRESOLVE="4", UNASSIGN="5". */
export type ActionTypeWire = "1" | "2" | "3" | "4" | "5";

export type ActionPayloadWire = {
  actionType: ActionTypeWire;
  /** The issue's id, under Sentry's name for an issue (the wire format is Sentry's). */
  groupId: number;
  eventId: string | null;
  rules: number[];
  integrationId: number;
};

/** Submits of the chat's own cards (not issue cards): UNSUBSCRIBE="6", NOTIFICATION_SETTINGS="7". */
export type SettingsActionTypeWire = "6" | "7";
export type SettingsPayloadWire = { actionType: "6"; ruleId: number; integrationId: number } | { actionType: "7" };
export type SettingsSubmitData = { payload: SettingsPayloadWire };

// ---------------------------------------------------------------------------------------------------------
// Builder inputs
// ---------------------------------------------------------------------------------------------------------

export type CardIssue = {
  id: number;
  shortId: string;
  title: string;
  culprit: string;
  level: string;
  status: IssueStatus;
  substatus: IssueSubstatus | null;
  metadata: IssueMetadata;
  timesSeen: number;
  usersSeen: number;
  /** Epoch ms. */
  firstSeen: number;
  /** Epoch ms; the date shown in the footer. */
  lastSeen: number;
  lastRelease: string | null;
  lastEnvironment: string | null;
  resolution: Resolution | null;
  ignoreConditions: IgnoreConditions | null;
  /** Who made the last status change; null/absent = the system (auto-resolve, regression, expiry). */
  statusChangedBy?: { email: string } | null;
};

export type CardAssignee = { kind: "user"; id: number; email: string } | { kind: "team"; id: number; slug: string };

export type CardRule = { id: number; name: string };
export type CardMember = { id: number; email: string; name: string };
export type CardTeam = { id: number; slug: string };

export type IssueCardInput = {
  issue: CardIssue;
  project: { id: number; slug: string; name: string };
  organization: { id: number; slug: string };
  assignee: CardAssignee | null;
  /** Rules that fired for this alert: the first is shown as "via", the rest as "(+N other)". May be empty. */
  rules: CardRule[];
  eventId: string | null;
  integrationId: number;
  /**
   * Assignable organization members, in the order to offer them (put the likeliest first: only the first
   * ones are listed when the organization is large).
   */
  members: CardMember[];
  /** Assignable teams, in the order to offer them (same cap rule). */
  teams: CardTeam[];
  /** How many members / teams exist in all, when only the first ones are passed (default: the arrays' lengths). */
  memberTotal?: number;
  teamTotal?: number;
  /** PUBLIC_BASE_URL, without a trailing slash (one is tolerated). */
  baseUrl: string;
};
