// Pure: what a customer's message asks for, by the common phrasings of the supported intents.
// The offline model acts on this; a real model reads the same messages on its own.

export type Intent = "injection" | "ticket" | "human" | "resend" | "refund" | "cancel" | "access" | "billing" | "greeting" | "unknown";

const TICKET_WORD = String.raw`(?:(?:support )?(?:ticket|case|request)|ticket (?:number|reference))`;

const RULES: Array<[Intent, RegExp]> = [
  [
    "injection",
    /\b(ignore|disregard|forget)\b.{0,30}\b(instructions?|rules?|prompt|polic(y|ies))\b|\bsystem prompt\b|\byou are now\b|\bpretend\b|\b(another|other|someone else'?s?|different) (customer|user|member|person|account)\b|\bfor free\b|\bwithout pay(ing|ment)?\b|\b(grant|give) me (access|a membership)\b|\bdeveloper mode\b|\badmin(istrator)? (mode|access|token)\b|@[\w-]+\.\w+/i,
  ],
  // Asking after a ticket that exists (its status, an answer), not for a new one.
  [
    "ticket",
    new RegExp(
      String.raw`\bT-[0-9A-F]{8}\b|\b(my|the|our|this|that) ${TICKET_WORD}\b.{0,40}\b(status|update|news|progress|happen\w*|going on|answer\w*|repl(y|ied)|respon\w*|heard)\b|` +
        String.raw`\b(status|update|news|progress|heard|answer(ed)?|repl(y|ied))\b.{0,40}\b(my|the|our|this|that) ${TICKET_WORD}\b|` +
        String.raw`\b(mi|mon|ma|mein|meine|meinem|meiner|meu|minha) (ticket|caso|solicitud|demande|anfrage|chamado)\b`,
      "i",
    ),
  ],
  [
    "human",
    /\b(human|real person|a person|someone real|agent|representative|support (team|staff)|talk to (someone|somebody|support)|speak (to|with))\b|\b(pass|hand|transfer|escalate|forward)\b.{0,20}\b(someone|somebody|person|team|staff)\b|\bsomeone (on|from) (your|the) team\b|\b(open|file|raise|create|submit) (a |an )?(support )?(ticket|case)\b/i,
  ],
  ["resend", /\b(re-?send|send (it|me|the (invite|invitation|link|email))( again)?|another (invite|invitation|link)|new (invite|invitation|link)|invite again)\b/i],
  ["refund", /\b(refund|money back|reimburse)/i],
  ["cancel", /\b(cancel|cancell?ation|end my (membership|subscription)|stop (my )?(membership|subscription|billing))\b/i],
  [
    "access",
    /\b(log ?in|sign ?in|access|get in|locked out|community|circle|invite|invitation|join|space|course|member area)\b|can'?t (get|log|sign)|cannot (get|log|sign)/i,
  ],
  ["billing", /\b(pay|paid|payment|card|declined|charge[ds]?|billing|invoice|receipt|renew(al)?|subscription|plan|price|bill|membership|account|status|active)\b/i],
  ["greeting", /^\s*(hi|hello|hey|hiya|good (morning|afternoon|evening)|thanks?( you)?( so much)?|many thanks|cheers)( there| all| everyone| team)?\b[\s!.,:)]*$/i],
];

export function classify(message: string): Intent {
  for (const [intent, pattern] of RULES) if (pattern.test(message)) return intent;
  return "unknown";
}
