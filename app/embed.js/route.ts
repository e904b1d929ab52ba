// The snippet host sites include to show the support chat:
//   <script src="https://<this app>/embed.js" data-token="<identity JWT>" async></script>
// It opens the widget in a corner iframe; the token travels in the URL fragment, which is never
// sent to a server.
const SCRIPT = `(function () {
  var script = document.currentScript;
  if (!script) return;
  var token = script.getAttribute("data-token");
  if (!token) return;
  var frame = document.createElement("iframe");
  frame.title = "Support chat";
  frame.src = new URL(script.src).origin + "/widget#token=" + encodeURIComponent(token);
  frame.style.cssText = "position:fixed;right:16px;bottom:16px;width:min(380px,calc(100vw - 32px));height:min(600px,calc(100vh - 32px));border:0;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.2);z-index:2147483000;background:#fff";
  document.body.appendChild(frame);
})();
`;

export function GET() {
  return new Response(SCRIPT, { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300" } });
}
