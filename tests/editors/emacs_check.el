;;; emacs_check.el --- driven by tests/editors/test_emacs.py  -*- lexical-binding: t -*-
;; Load the Emacs snippet of editors/README.md as a user's init would, open a profile that does
;; not start, and record what eglot shows: the diagnostic, a hover, and the message that
;; *Show plan.json* sends (eglot has no window/showDocument).  Batch mode has no command loop,
;; so the post-command-hook that `eglot-ensure' waits for is run by hand.
(package-initialize)
(require 'json)
(defvar vllm-wizard-check-result nil)
(defun vllm-wizard-check-record (key value)
  (push (cons key value) vllm-wizard-check-result))
(defun vllm-wizard-check-wait (predicate)
  (let ((deadline (+ (float-time) 60)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.1))))

(let ((out (getenv "VLLM_WIZARD_EMACS_OUT"))
      (profile (getenv "VLLM_WIZARD_EMACS_PROFILE")))
  (condition-case err
      (progn
        (load (getenv "VLLM_WIZARD_EMACS_SNIPPET") nil t)
        (require 'eglot)
        (vllm-wizard-check-record 'eglot (if (boundp 'eglot-version) eglot-version "1.9"))
        (find-file profile)
        (vllm-wizard-check-record 'mode (symbol-name major-mode))
        (run-hooks 'post-command-hook)
        (vllm-wizard-check-wait #'eglot-current-server)
        (vllm-wizard-check-wait (lambda () (flymake-diagnostics)))
        (vllm-wizard-check-record
         'diagnostics
         (vconcat (mapcar (lambda (d)
                            (vector (line-number-at-pos (flymake-diagnostic-beg d))
                                    (flymake-diagnostic-text d)))
                          (flymake-diagnostics))))
        (goto-char (point-min))
        (search-forward "  max_model_len")
        (let* ((hover (jsonrpc-request (eglot-current-server) :textDocument/hover
                                       (eglot--TextDocumentPositionParams)))
               (contents (plist-get hover :contents)))
          (vllm-wizard-check-record 'hover_kind (plist-get contents :kind))
          (vllm-wizard-check-record 'hover (plist-get contents :value)))
        (let ((answer (eglot-execute-command (eglot-current-server) "vllm-wizard.showPlan"
                                             (vector (eglot--path-to-uri profile)))))
          (vllm-wizard-check-record 'show_plan_saved (plist-get answer :saved)))
        (accept-process-output nil 1))  ; let the message print
    (error (vllm-wizard-check-record 'error (format "%S" err))))
  (with-temp-file out (insert (json-encode vllm-wizard-check-result)))
  (kill-emacs 0))
