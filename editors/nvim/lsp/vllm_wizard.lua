-- vLLM Wizard language server for Neovim >= 0.11 (vim.lsp.config / vim.lsp.enable).
--
-- Put this folder on the runtimepath (or install it with your plugin manager), then:
--   vim.lsp.enable('vllm_wizard')
--
-- The server attaches to every YAML buffer and stays silent on files that are not
-- vLLM Wizard profiles (profile.yaml, *.profile.yaml, vllm-wizard/*.yaml, or any YAML
-- with a top-level `profile_version`).

---@type vim.lsp.Config
return {
  cmd = { 'vllm-wizard', 'lsp', '--stdio' },
  filetypes = { 'yaml' },
  root_markers = { 'profile.yaml', 'vllm-wizard', '.git' },
  -- Answered to the server's workspace/configuration requests (section `vllmWizard`).
  settings = {
    vllmWizard = {
      offline = false, -- never ask the Hugging Face Hub
      hubTimeout = 10, -- seconds
      debounceMs = 0, -- extra wait after an edit; 0: analyse at once
      outputDir = '', -- empty: deploy/ next to the profile
    },
  },
  handlers = {
    -- The verdict of each profile, for a statusline: %{get(b:, 'vllm_wizard_verdict', '')}
    ['vllmWizard/verdict'] = function(_, result)
      if type(result) ~= 'table' or type(result.uri) ~= 'string' then
        return
      end
      local bufnr = vim.fn.bufnr(vim.uri_to_fname(result.uri))
      if bufnr > 0 then
        vim.b[bufnr].vllm_wizard_verdict = result.summary
      end
    end,
  },
}
