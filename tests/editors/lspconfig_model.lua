-- Driven by tests/editors/test_neovim.py: run the nvim-lspconfig snippet of
-- editors/nvim/README.md (file VLLM_WIZARD_SNIPPET) against a model of nvim-lspconfig's config
-- framework, and record the config it hands to setup().
--
-- nvim-lspconfig is not on any package registry this project can install from, so this models
-- the two behaviours the snippet depends on, as lua/lspconfig/configs.lua has them
-- (https://github.com/neovim/nvim-lspconfig/blob/master/lua/lspconfig/configs.lua):
--   * `configs.NAME = def` goes through __newindex, which validates `def.default_config` is a
--     table and stores a *new* table {setup, document_config, name, ...} with rawset: there is
--     no `configs.NAME.default_config` afterwards;
--   * `setup(user)` merges user over default_config ('keep') and validates root_dir is a
--     function; without a root, a buffer gets a server only with `single_file_support`.
local out_path = assert(os.getenv('VLLM_WIZARD_NVIM_OUT'))
local snippet = assert(os.getenv('VLLM_WIZARD_SNIPPET'))
local profile = assert(os.getenv('VLLM_WIZARD_NVIM_PROFILE'))
local result = {}

local configs_meta = {}
function configs_meta.__newindex(t, name, def)
  vim.validate({ name = { name, 's' }, default_config = { def.default_config, 't' } })
  local default_config = def.default_config
  local M = { name = name, document_config = def }
  function M.setup(user)
    local config = vim.tbl_deep_extend('keep', user, default_config)
    vim.validate({ cmd = { config.cmd, 't' }, root_dir = { config.root_dir, 'f', true } })
    M.config = config
  end
  rawset(t, name, M)
end
local configs = setmetatable({}, configs_meta)

package.preload['lspconfig.configs'] = function() return configs end
package.preload['lspconfig.util'] = function()
  return {
    root_pattern = function(...)
      local markers = { ... }
      return function(path)
        local found = vim.fs.find(markers, { path = vim.fs.dirname(path), upward = true })[1]
        return found and vim.fs.dirname(found) or nil
      end
    end,
  }
end
package.preload['lspconfig'] = function()
  return setmetatable({}, { __index = function(_, name) return configs[name] end })
end

local ok, err = pcall(dofile, snippet)
result.ok = ok
result.error = not ok and tostring(err) or nil
local server = ok and configs.vllm_wizard or nil
local config = server and server.config or nil
if config then
  result.cmd = config.cmd
  result.filetypes = config.filetypes
  result.single_file_support = config.single_file_support == true
  result.root = type(config.root_dir) == 'function' and config.root_dir(profile) or vim.NIL
  result.verdict_handler = type((config.handlers or {})['vllmWizard/verdict']) == 'function'
end
local file = assert(io.open(out_path, 'w'))
file:write(vim.json.encode(result))
file:close()
vim.cmd('qa!')
