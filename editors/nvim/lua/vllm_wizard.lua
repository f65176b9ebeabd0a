-- vLLM Wizard for Neovim: `require('vllm_wizard').enable()` from init.lua.
--
-- On Neovim >= 0.11 this is `vim.lsp.enable('vllm_wizard')` (the config is lsp/vllm_wizard.lua,
-- with `overrides` passed to vim.lsp.config first). Older releases have neither vim.lsp.config
-- nor vim.lsp.enable, and calling them there stops init.lua with a bare Lua error ("attempt to
-- call field 'enable' (a nil value)"); this says what is wrong and what to do instead.
-- Written for every Neovim since 0.5 (Lua 5.1, no vim.version() before 0.6).

local M = {}

M.minimum = { 0, 11 }

local function version()
  local v = vim.version and vim.version() or vim.fn.api_info().version
  return v.major, v.minor, v.patch
end

--- Whether this Neovim can run the bundled vim.lsp.Config (0.11 or later).
function M.supported()
  return vim.fn.has('nvim-0.11') == 1
end

--- Start vllm-wizard for YAML buffers; false (with a message) on a Neovim that is too old.
--- @param overrides table|nil  fields merged over lsp/vllm_wizard.lua (e.g. settings)
function M.enable(overrides)
  if not M.supported() then
    local major, minor, patch = version()
    vim.notify(
      string.format(
        'vLLM Wizard: Neovim %d.%d.%d is too old for its LSP config (vim.lsp.config and'
          .. ' vim.lsp.enable need Neovim 0.11 or later). Upgrade Neovim, or register'
          .. ' editors/nvim/lsp/vllm_wizard.lua with nvim-lspconfig as editors/nvim/README.md'
          .. ' shows.',
        major,
        minor,
        patch
      ),
      vim.log.levels.ERROR
    )
    return false
  end
  if overrides ~= nil then
    vim.lsp.config('vllm_wizard', overrides)
  end
  vim.lsp.enable('vllm_wizard')
  return true
end

return M
