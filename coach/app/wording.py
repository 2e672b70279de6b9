"""The chat app's own words: starters, button labels, commands and short notices.

The coach's replies, the escalation wording and the control acknowledgements come from
the engine and the guardrails' package data; only the app's chrome lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coach.types import Control
from guardrails.escalation import Action as SupportAction

COACH_AUTHOR = "Coach"
SUPPORT_AUTHOR = "Support"


@dataclass(frozen=True)
class StarterText:
    label: str
    message: str


STARTERS: tuple[StarterText, ...] = (
    StarterText(
        "A patient died",
        "A patient I was looking after died today, and I'd like to talk it through.",
    ),
    StarterText(
        "A medication error",
        "I was involved in a medication error and I keep going over it in my head.",
    ),
    StarterText(
        "An aggressive relative",
        "A patient's relative was aggressive towards me on shift and it has shaken me.",
    ),
    StarterText(
        "Care that felt futile",
        "I've been giving care that felt futile, and it's weighing on me.",
    ),
    StarterText(
        "A child's death",
        "A child died in our care and I need to make sense of it.",
    ),
)

# Buttons under the coach's replies.
CONTROL_LABELS: dict[Control, str] = {
    Control.SKIP_STAGE: "Skip this part",
    Control.LISTEN_ON: "Just listen",
    Control.LISTEN_OFF: "Guide me",
    Control.QUICK: "Quick debrief",
    Control.FULL: "Full debrief",
    Control.END: "End debrief",
    Control.IM_SAFE: "I'm safe, continue",
    Control.CONTINUE: "Continue the debrief",
}
CONTROL_TOOLTIPS: dict[Control, str] = {
    Control.SKIP_STAGE: "Move on to the next part of the debrief",
    Control.LISTEN_ON: "Reflections only: the coach stops asking questions",
    Control.LISTEN_OFF: "Let the coach guide the debrief again",
    Control.QUICK: "Switch to the five-minute debrief",
    Control.FULL: "Switch back to the full debrief",
    Control.END: "Finish now and get your summary",
}

# Buttons under an escalation or support message.
SUPPORT_LABELS: dict[SupportAction, str] = {
    SupportAction.SHOW_RESOURCES: "See human support options",
    SupportAction.CONTACT_PEER_SUPPORTER: "Contact the on-call peer supporter",
    SupportAction.IM_SAFE: "I'm safe, continue",
    SupportAction.CONTINUE_DEBRIEF: "Continue the debrief",
}

CommandTarget = Control | Literal["support", "summary", "delete"]


@dataclass(frozen=True)
class CommandText:
    id: str  # shown in the composer's command menu
    description: str
    icon: str  # lucide icon name
    target: CommandTarget


COMMANDS: tuple[CommandText, ...] = (
    CommandText("Skip", "Skip this part of the debrief", "skip-forward", Control.SKIP_STAGE),
    CommandText("Listen", "Just listen: reflections, no questions", "ear", Control.LISTEN_ON),
    CommandText("Guide", "Guide me through the debrief again", "compass", Control.LISTEN_OFF),
    CommandText("Quick", "Switch to the five-minute debrief", "timer", Control.QUICK),
    CommandText("Full", "Switch to the full debrief", "list-checks", Control.FULL),
    CommandText("End", "End the debrief and get your summary", "flag", Control.END),
    CommandText("Summary", "See the summary so far", "file-text", "summary"),
    CommandText("Support", "See human support options", "life-buoy", "support"),
    CommandText("Delete", "Delete my data: every debrief and chat of mine", "trash-2", "delete"),
)

SUMMARY_FILE = "debrief-summary.md"
RESOURCES_INTRO = "These people are there for you. Tap a number to call or text, or open a link."
SOURCES_LINE = "Sources: "
NO_SUMMARY_YET = "There's nothing to summarise yet. Tell me what happened whenever you're ready."

PEER_CONSENT = (
    "Would you like the on-call peer supporter to contact you? If you agree, they get a "
    "request saying that a clinician using the coach asked for support, when, and how "
    "urgent it seemed. **Nothing you have written is sent**, and nothing is sent unless "
    "you choose to."
)
PEER_YES = "Yes, ask them to contact me"
PEER_YES_WITH_CONTACT = "Yes, and leave a number or email"
PEER_NO = "No, don't send anything"
PEER_ASK_CONTACT = (
    "Type a phone number, extension, bleep or email address where they can reach you. "
    "Only that is sent with the request."
)
PEER_BAD_CONTACT = (
    "That doesn't look like a phone number, extension, bleep or email address, so I "
    "haven't sent anything. Press the button again to try once more."
)
PEER_NOT_CONFIGURED = (
    "An on-call peer supporter isn't set up for this service. The numbers below are there "
    "for you now."
)

DELETE_CONFIRM = (
    "This permanently deletes **every debrief and chat of yours** in this coach: your "
    "messages, the coach's replies, summaries, sources and feedback. It can't be undone. "
    "Do you want to delete everything?"
)
DELETE_YES = "Delete everything"
DELETE_NO = "Keep my data"
DELETE_KEPT = "Nothing has been deleted."
DELETED = (
    "Done: {sessions} debrief(s) and {chats} chat(s) have been deleted. Anything you write "
    "in this chat now won't be saved; start a new chat whenever you'd like to debrief again."
)
DELETE_UNFINISHED = (
    "Deleting your data didn't finish, because part of the coach's storage isn't answering "
    "right now. Please choose Delete again in a few minutes so that everything is deleted."
)
AFTER_DELETE = "Your data was deleted, so this chat is closed. Start a new chat to debrief again."
NOT_YOURS = "This chat belongs to another account, so it can't be opened here."
SOMETHING_WENT_WRONG = (
    "Something went wrong on our side. Please try again in a moment, or start a new chat."
)
STORE_UNAVAILABLE = (
    "I can't reach your saved debrief just now. Nothing saved has been lost; please try "
    "again in a minute or two."
)
