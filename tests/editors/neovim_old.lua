-- Driven by tests/editors/test_neovim.py on a Neovim older than 0.11 (Debian's 0.7.2): what
-- `require('vllm_wizard').enable()` does there. Lua 5.1 and Neovim 0.7's API only.
local out = assert(io.open(assert(os.getenv('VLLM_WIZARD_NVIM_OUT')), 'w'))
local told = {}
vim.notify = function(message, level)
  table.insert(told, tostring(level) .. ' ' .. message)
end
local ok, result = pcall(function()
  return require('vllm_wizard').enable({ settings = { vllmWizard = { offline = true } } })
end)
out:write(tostring(ok) .. '\n' .. tostring(result) .. '\n' .. table.concat(told, '\n') .. '\n')
out:close()
vim.cmd('qa!')
