-- Driven by tests/editors/test_neovim.py: open a profile that does not start in a real
-- headless Neovim with editors/nvim on the runtimepath, then record what the user sees.
local out_path = assert(os.getenv('VLLM_WIZARD_NVIM_OUT'))
local profile = assert(os.getenv('VLLM_WIZARD_NVIM_PROFILE'))
local result = { steps = {} }

local function finish()
  local file = assert(io.open(out_path, 'w'))
  file:write(vim.json.encode(result))
  file:close()
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  -- What editors/nvim/README.md tells users to write (vim.lsp.config + vim.lsp.enable).
  result.enabled = require('vllm_wizard').enable({ settings = { vllmWizard = { offline = true } } })
  vim.cmd('edit ' .. vim.fn.fnameescape(profile))
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype

  local attached = vim.wait(30000, function()
    return #vim.lsp.get_clients({ bufnr = bufnr, name = 'vllm_wizard' }) > 0
  end, 50)
  table.insert(result.steps, 'attached=' .. tostring(attached))
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = 'vllm_wizard' })[1]
  result.encoding = client and client.offset_encoding or nil

  local function errors()
    return vim.diagnostic.get(bufnr, { severity = vim.diagnostic.severity.ERROR })
  end
  vim.wait(30000, function() return #errors() > 0 end, 50)
  result.diagnostics = {}
  for _, d in ipairs(errors()) do
    table.insert(result.diagnostics, {
      lnum = d.lnum, col = d.col, end_col = d.end_col, message = d.message,
      code = d.code, source = d.source,
    })
  end

  -- Hover on the max_model_len line.
  local first = errors()[1]
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = first.lnum, character = first.col },
  }
  local hover = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, 20000)
  for _, reply in pairs(hover or {}) do
    if reply.result and reply.result.contents then
      result.hover = reply.result.contents.value
    end
  end

  -- The quick fix that adds a GPU with tensor parallelism, applied as Neovim applies it.
  local action_params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = first.lnum, character = first.col },
              ['end'] = { line = first.end_lnum or first.lnum, character = first.end_col } },
    context = { diagnostics = vim.lsp.diagnostic.from(errors()), only = { 'quickfix' } },
  }
  local replies = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', action_params, 20000)
  result.actions = {}
  local chosen = nil
  for _, reply in pairs(replies or {}) do
    for _, action in ipairs(reply.result or {}) do
      table.insert(result.actions, action.title)
      if chosen == nil and action.title:find('Use 2 GPUs, tp 2', 1, true) then
        chosen = action
      end
    end
  end
  if chosen and chosen.edit then
    vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding)
    result.applied = chosen.title
    vim.wait(30000, function() return #errors() == 0 end, 50)
    result.errors_after_fix = #errors()
    vim.wait(30000, function()
      return (vim.b[bufnr].vllm_wizard_verdict or ''):find('fits', 1, true) ~= nil
    end, 50)
    result.text_after_fix = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
  end
  result.verdict = vim.b[bufnr].vllm_wizard_verdict
end)
if not ok then
  result.error = tostring(err)
end
finish()
