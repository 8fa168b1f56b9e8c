// Starts `starrules lsp` (the command in the setting starrules.command) for .rubric files; the
// language server does the rest. Needs `npm install` in this folder (vscode-languageclient).
'use strict';
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate() {
  const [command, ...args] = vscode.workspace.getConfiguration('starrules').get('command', ['starrules', 'lsp']);
  client = new LanguageClient('starrules', 'starrules', { command, args }, {
    documentSelector: [{ language: 'rubric' }],
  });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
