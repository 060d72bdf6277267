import { useState } from 'react';
import type { Project } from '../lib/types';
import { useConversation } from '../lib/use-conversation';
import { ChatPanel } from './chat-panel';
import { ConversationList } from './conversation-list';
import { WorkPanel } from './work-panel';

type Props = { project: Project; conversationId: string | null; onOpen: (conversationId: string | null) => void };

/** Past conversations, the chat with Assist, and the delegated work of the open conversation. */
export function ConversationPage({ project, conversationId, onOpen }: Props) {
  const conversation = useConversation(conversationId);
  const [listVersion, setListVersion] = useState(0);
  const { view } = conversation;

  return (
    <div className="conversation-page">
      <ConversationList
        projectId={project.id}
        current={conversationId}
        // Reloaded when a conversation starts or changes status, so its line says where it is.
        reloadKey={`${listVersion}:${view?.id}:${view?.status}:${view?.phase}`}
        onOpen={onOpen}
      />
      <ChatPanel
        projectId={project.id}
        conversationId={conversationId}
        conversation={conversation}
        onStarted={(id) => {
          setListVersion((v) => v + 1);
          onOpen(id);
        }}
      />
      <WorkPanel projectId={project.id} conversation={conversationId ? conversation : null} />
    </div>
  );
}
