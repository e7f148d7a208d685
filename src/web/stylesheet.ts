/**
 * The web app's one stylesheet, inline in every page and allowed by its SHA-256 in the Content-Security-Policy
 * (app.ts passes it to the page headers; change it here and the hash follows). Mobile first (360 px), wider from 48rem.
 */
export const WEB_CSS = `
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1b1b1b;background:#f5f5f7}
a{color:#464775}a:focus,button:focus,input:focus,select:focus,summary:focus{outline:2px solid #464775;outline-offset:2px}
header.top{background:#464775;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header.top a{color:#fff;text-decoration:none;font-weight:600}header.top .who{margin-left:auto;font-size:.85rem;opacity:.9}
header.top form{display:inline;margin:0}header.top button{background:transparent;border:1px solid #fff;color:#fff;padding:.2rem .6rem;margin:0;font-size:.85rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.25rem 0 .75rem;overflow-wrap:anywhere}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}h3{font-size:1rem;margin:1rem 0 .25rem}
.card{background:#fff;border:1px solid #e1e1e6;border-radius:6px;padding:.75rem 1rem;margin:.75rem 0}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input,select{width:100%;padding:.45rem;font:inherit;border:1px solid #b9b9c3;border-radius:4px;background:#fff}
input[type=checkbox]{width:auto}
button,.button{display:inline-block;margin-top:.75rem;padding:.5rem 1rem;font:inherit;background:#464775;color:#fff;border:0;border-radius:4px;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:#464775;border:1px solid #464775}
.filters{display:grid;grid-template-columns:1fr;gap:0 .75rem}
.actions{display:grid;grid-template-columns:1fr;gap:.5rem}.actions form{background:#fff;border:1px solid #e1e1e6;border-radius:6px;padding:.5rem .75rem}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .75rem;margin:0}.meta dt{color:#555}.meta dd{margin:0;overflow-wrap:anywhere}
ul.issues{list-style:none;padding:0;margin:0}ul.issues li{background:#fff;border:1px solid #e1e1e6;border-radius:6px;padding:.6rem .8rem;margin:.5rem 0}
ul.issues .title{font-weight:600;overflow-wrap:anywhere}ul.issues .sub{color:#555;font-size:.85rem;overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.8rem;background:#e8e8f0;color:#333}
.badge.unresolved{background:#fde7e9;color:#a4262c}.badge.resolved{background:#dff6dd;color:#107c10}.badge.ignored{background:#eee;color:#555}
label.inline{display:inline}
.error{color:#a4262c}.ok{color:#107c10}.hint{color:#555;font-size:.85rem}
.frames{list-style:none;padding:0;margin:0;font:13px/1.4 ui-monospace,Menlo,Consolas,monospace}
.frames li{padding:.3rem .5rem;border-top:1px solid #eee;overflow-wrap:anywhere}.frames li.app{background:#f3f2fb}.frames li.lib{color:#666}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.4 ui-monospace,Menlo,Consolas,monospace;margin:.25rem 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .4rem;border-bottom:1px solid #eee;vertical-align:top;overflow-wrap:anywhere}
nav.pages{display:flex;gap:1rem;margin:1rem 0}
.tags{display:grid;grid-template-columns:1fr;gap:.5rem}
textarea{width:100%;padding:.45rem;font:inherit;border:1px solid #b9b9c3;border-radius:4px}fieldset{min-width:0}legend{font-weight:600;padding:0 .25rem}label.check{font-weight:400;margin:.3rem 0}.pair{display:grid;grid-template-columns:1fr 1fr;gap:0 .75rem}
ul.checks{padding-left:1.1rem;margin:.25rem 0}ul.checks li{margin:.3rem 0;overflow-wrap:anywhere}a.button.secondary{background:#fff;color:#464775;border:1px solid #464775}.install h2{margin-top:0}
.copy{user-select:all;background:#fff;border:1px solid #e1e1e6;border-radius:4px;padding:.4rem .5rem}code.copy{display:block;font-size:12px;padding:.2rem .3rem}
button.danger{background:#a4262c}.confirm{margin:.5rem 0 0}.confirm label{font-weight:400}.field-error{margin:.2rem 0 0}input[aria-invalid]{border-color:#a4262c}
.forms{display:grid;grid-template-columns:1fr;gap:0 1rem}
button.small{padding:.25rem .6rem;margin-top:.4rem;font-size:.85rem}ul.plain{list-style:none;padding:0;margin:0}ul.plain li{padding:.3rem 0;border-top:1px solid #eee}
footer.site{max-width:72rem;margin:1.5rem auto;padding:0 1rem;font-size:.85rem;color:#555}
@media (max-width:47.99rem){table.stack tr:first-child{display:none}table.stack tr{display:block;border-bottom:1px solid #e1e1e6;padding:.4rem 0}
table.stack td{display:block;border:0;padding:.1rem 0}table.stack td[data-label]::before{content:attr(data-label);display:block;font-size:.8rem;color:#555}}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (min-width:48rem){.forms{grid-template-columns:1fr 1fr}}
@media (min-width:48rem){.filters{grid-template-columns:repeat(5,1fr) auto;align-items:end}.actions{grid-template-columns:repeat(3,1fr)}
.layout{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:1rem}.tags{grid-template-columns:1fr 1fr}}
`;
