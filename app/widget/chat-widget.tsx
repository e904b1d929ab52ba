"use client";

import { useChat } from "@ai-sdk/react";
import { DefaultChatTransport } from "ai";
import { useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent } from "react";
import type { ChatHistory } from "@/lib/chat/handler";
import { agentLabel, agentOf, isHeldNotice, type ChatMessage } from "@/lib/chat/messages";
import { WIDGET_TEXT, widgetLanguage, type WidgetText } from "@/lib/chat/widget-text";

/** Whether a person holds the chat, who, and the ticket's reference (GET /api/chat). */
type Handoff = Pick<ChatHistory, "held" | "agent" | "ticket">;
type Loaded = { token: string; id: string; messages: ChatMessage[]; handoff: Handoff };

// New messages (a person's replies) arrive by polling GET /api/chat: every POLL_MS while the
// tab is visible, every FAST_POLL_MS for a while after the customer writes in a held chat (a
// person is typing back), at once when the tab becomes visible again; never while a reply is
// streaming. test/bench/handoff.ts measures what a poll costs the server.
const POLL_MS = 3_000;
const FAST_POLL_MS = 1_000;
const FAST_POLL_FOR_MS = 60_000;

/** The server's messages, then any of ours it does not have yet (a reply still being stored). */
function merge(server: ChatMessage[], local: ChatMessage[]): ChatMessage[] {
  const known = new Set(server.map((message) => message.id));
  return [...server, ...local.filter((message) => !known.has(message.id))];
}

const sameMessages = (a: ChatMessage[], b: ChatMessage[]) =>
  a.length === b.length && a.every((message, index) => message.id === b[index]!.id && message.parts.length === b[index]!.parts.length);

const toolLabel = (text: WidgetText, type: string) =>
  type === "tool-getEntitlement" ? text.tools.getEntitlement : type === "tool-resendInvite" ? text.tools.resendInvite : type === "tool-openBillingTicket" ? text.tools.openBillingTicket : text.working;

/** What a failed request means for the customer; the server's own words when it sent some. */
function describeError(error: Error, text: WidgetText): string {
  try {
    const body = JSON.parse(error.message) as { error?: string };
    if (body.error) return body.error;
  } catch {
    // not a JSON error body
  }
  return text.genericError;
}

function tokenFromFragment(): string | null {
  const match = window.location.hash.match(/token=([^&]+)/);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

const browserLanguage = () => widgetLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]);
const onLanguageChange = (notify: () => void) => {
  window.addEventListener("languagechange", notify);
  return () => window.removeEventListener("languagechange", notify);
};

/** The widget's words in the browser's language (English in the server render, which has no browser). */
function useWidgetText(): WidgetText {
  const language = useSyncExternalStore(onLanguageChange, browserLanguage, () => "en" as const);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  return WIDGET_TEXT[language];
}

type Problem = "expired" | "unavailable";

export function ChatWidget() {
  const text = useWidgetText();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  useEffect(() => {
    async function load(token: string) {
      const response = await fetch("/api/chat", { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok) {
        setProblem(response.status === 401 ? "expired" : "unavailable");
        return;
      }
      const history = (await response.json()) as ChatHistory;
      setProblem(null);
      setLoaded({ token, id: history.id ?? crypto.randomUUID(), messages: history.messages, handoff: history });
    }
    const fromFragment = tokenFromFragment();
    if (fromFragment) void load(fromFragment);
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { type?: string; token?: string } | null;
      if (data?.type === "entitled:identity" && typeof data.token === "string") void load(data.token);
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, []);

  return (
    <main className="widget">
      <style>{STYLES}</style>
      <header className="widget-header">
        <h1>{text.title}</h1>
        <p>{text.tagline}</p>
      </header>
      {loaded ? (
        <Conversation key={loaded.id + loaded.token} {...loaded} text={text} />
      ) : (
        <p className="notice" role="status">
          {problem === "expired" ? text.signInExpired : problem === "unavailable" ? text.unavailable : text.waitingForSignIn}
        </p>
      )}
    </main>
  );
}

function Conversation({ token, id, messages: initial, handoff: initialHandoff, text }: Loaded & { text: WidgetText }) {
  const transport = useMemo(() => new DefaultChatTransport({ api: "/api/chat", headers: { authorization: `Bearer ${token}` } }), [token]);
  const { messages, sendMessage, setMessages, status, error, clearError } = useChat<ChatMessage>({ id, messages: initial, transport });
  const [draft, setDraft] = useState("");
  const [handoff, setHandoff] = useState<Handoff>(initialHandoff);
  const endRef = useRef<HTMLDivElement>(null);
  const busy = status === "submitted" || status === "streaming";
  // Read by the poller between renders.
  const busyRef = useRef(busy);
  const fastUntil = useRef(0);
  useEffect(() => {
    busyRef.current = busy;
  }, [busy]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    async function poll() {
      clearTimeout(timer);
      if (document.visibilityState === "visible" && !busyRef.current) {
        try {
          const response = await fetch(`/api/chat?id=${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } });
          const history = response.ok ? ((await response.json()) as ChatHistory) : null;
          // A conversation the server does not have yet (nothing sent) has nothing new either.
          if (!stopped && history?.id === id && !busyRef.current) {
            setHandoff({ held: history.held, agent: history.agent, ticket: history.ticket });
            setMessages((current) => {
              const next = merge(history.messages, current);
              return sameMessages(next, current) ? current : next;
            });
          }
        } catch {
          // Offline for a moment: the next poll tries again.
        }
      }
      if (!stopped) timer = setTimeout(poll, Date.now() < fastUntil.current ? FAST_POLL_MS : POLL_MS);
    }
    const onVisible = () => {
      if (document.visibilityState === "visible") void poll();
    };
    timer = setTimeout(poll, POLL_MS);
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [id, token, setMessages]);

  useEffect(() => {
    endRef.current?.scrollIntoView({ block: "end" });
  }, [messages]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const text = draft.trim();
    if (!text || busy) return;
    clearError();
    if (handoff.held) fastUntil.current = Date.now() + FAST_POLL_FOR_MS;
    void sendMessage({ text });
    setDraft("");
  }

  return (
    <>
      <div className="messages" aria-live="polite" aria-label={text.conversation}>
        {messages.length === 0 && <p className="notice">{text.emptyConversation}</p>}
        {messages.map((message) => {
          const agent = agentOf(message);
          const kind = message.role === "user" ? "user" : agent ? "assistant agent" : isHeldNotice(message) ? "assistant held" : "assistant";
          return (
            <div key={message.id} className={`message ${kind}`}>
              {agent ? (
                <p className="author">{agentLabel(agent)}</p>
              ) : (
                <span className="sr-only">{message.role === "user" ? text.youSaid : text.supportSaid}</span>
              )}
              {message.parts.map((part, index) => {
                if (part.type === "text") return <p key={index}>{part.text}</p>;
                if (part.type.startsWith("tool-")) {
                  const done = "state" in part && part.state === "output-available";
                  return (
                    <p key={index} className="tool">
                      {toolLabel(text, part.type)}
                      {done ? "" : "…"}
                    </p>
                  );
                }
                return null;
              })}
            </div>
          );
        })}
        {status === "submitted" && <p className="notice" role="status">{handoff.held ? text.sending : text.checking}</p>}
        {error && (
          <p className="error" role="alert">
            {describeError(error, text)}
          </p>
        )}
        <div ref={endRef} />
      </div>
      {handoff.held && (
        <p className="handoff" role="status">
          {text.handoff(handoff.agent ? agentLabel(handoff.agent) : text.aPerson, handoff.ticket ?? null)}
        </p>
      )}
      <form className="composer" onSubmit={submit}>
        <label htmlFor="chat-input" className="sr-only">
          {text.yourMessage}
        </label>
        <input
          id="chat-input"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          placeholder={text.placeholder}
          maxLength={2000}
          autoComplete="off"
        />
        <button type="submit" disabled={busy || draft.trim() === ""}>
          {text.send}
        </button>
      </form>
    </>
  );
}

const STYLES = `
.widget { display: flex; flex-direction: column; height: 100vh; max-width: 640px; margin: 0 auto; background: #fff; font-size: 15px; }
.widget-header { padding: 12px 16px; border-bottom: 1px solid #e3e3e8; }
.widget-header h1 { font-size: 17px; margin: 0; }
.widget-header p { margin: 2px 0 0; color: #5b5b66; font-size: 13px; }
.messages { flex: 1; overflow-y: auto; padding: 12px 16px; display: flex; flex-direction: column; gap: 8px; }
.message { max-width: 85%; padding: 8px 12px; border-radius: 12px; line-height: 1.4; }
.message p { margin: 0; }
.message.user { align-self: flex-end; background: #2f5bd3; color: #fff; }
.message.assistant { align-self: flex-start; background: #f1f1f5; }
.message .tool { font-size: 12px; color: #5b5b66; margin-bottom: 4px; }
.message.agent { background: #e6f4ea; border: 1px solid #b7dfc3; }
.message .author { font-size: 12px; font-weight: 600; color: #1e6b38; margin-bottom: 2px; }
.message.held { background: transparent; color: #5b5b66; font-size: 13px; padding: 4px 0; }
.handoff { margin: 0; padding: 8px 16px; background: #e6f4ea; color: #1e6b38; font-size: 13px; border-top: 1px solid #b7dfc3; }
.notice { color: #5b5b66; padding: 12px 16px; margin: 0; }
.error { color: #a4161a; background: #fdecec; border-radius: 8px; padding: 8px 12px; margin: 0; }
.composer { display: flex; gap: 8px; padding: 12px 16px; border-top: 1px solid #e3e3e8; }
.composer input { flex: 1; min-width: 0; padding: 10px 12px; border: 1px solid #c8c8d0; border-radius: 8px; font-size: 15px; }
.composer input:focus-visible, .composer button:focus-visible { outline: 3px solid #9db4f0; outline-offset: 1px; }
.composer button { padding: 10px 16px; border: 0; border-radius: 8px; background: #2f5bd3; color: #fff; font-size: 15px; }
.composer button:disabled { background: #9aa6c7; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
